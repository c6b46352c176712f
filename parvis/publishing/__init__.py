"""Publishing: compose, check, approve, schedule and publish posts (issue #13)."""
