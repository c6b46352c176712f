from django.urls import path

from parvis.connectors import views

app_name = "connectors"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("connect/", views.connect, name="connect"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/remove/", views.remove, name="remove"),
]
