"""`parvis moderate`: JSON Lines of comments in, the decision of the workspace's switched-on
rules out, one line each, in order; bad lines answered in place; nothing stored, nothing done
on a network."""

from __future__ import annotations

import json

import pytest

from parvis import cli
from parvis.inbox.models import Message
from parvis.moderation import services
from parvis.moderation.models import Action, Evaluation, ReviewItem, Rule
from parvis.workspaces.strategy import do_update_strategy

pytestmark = pytest.mark.django_db


def moderate(tmp_path, slug: str, lines: list[str | bytes]) -> tuple[int, list[dict]]:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    code = cli.main(["moderate", "--workspace", slug, "--in", str(src), "--out", str(dst)])
    out = dst.read_text(encoding="utf-8").splitlines()
    return code, [json.loads(line) for line in out]


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Action, Evaluation, ReviewItem, Message))


def test_decisions_in_order_with_passthrough_and_nothing_stored(tmp_path, workspace, owner):
    services.do_install_defaults(workspace, owner, enabled=True, escalate_to="direction")
    before = counts()
    lines = [
        json.dumps({"id": 1, "text": "Bande de connards, rendez-moi mon argent", "x": [1]}),
        json.dumps({"id": 2, "text": "Service client nul, trois semaines sans réponse"}),
        json.dumps({"id": "c3", "text": "Je sais où vous habitez, vous allez le regretter"}),
        json.dumps(
            {
                "id": 4,
                "text": "Votre colis est bloqué, payez 1,99 € sur http://colis-fr.top/p",
                "network": "facebook",
                "author": "bot42",
                "author_followers": 3,
                "lang": "fr",
                "kind": "comment",
            }
        ),
        json.dumps({"id": 5, "text": "Putain de retard, dix jours que j'attends mon colis"}),
        json.dumps({"id": 6, "text": "J'ai transmis à mon avocat, bande d'abrutis"}),
    ]
    code, out = moderate(tmp_path, workspace.slug, lines)
    assert code == 0
    assert [o["id"] for o in out] == [1, 2, "c3", 4, 5, 6]
    assert out[0]["decision"] == "hide" and out[0]["reason"] == "insult" and out[0]["x"] == [1]
    assert out[0]["rule"] == "Insultes (mots)"
    assert set(out[0]["scores"]) == {"toxicity", "spam", "insult", "obscene", "hate", "threat"}
    assert out[1]["decision"] == "keep" and out[1]["reason"] is None and out[1]["rule"] is None
    assert out[2]["decision"] == "escalate" and out[2]["reason"] == "threat"
    assert out[3]["decision"] == "hide" and out[3]["reason"] == "scam"
    assert out[3]["network"] == "facebook" and out[3]["author_followers"] == 3
    assert "text" not in out[3]
    # Swearing at a delay is not an insult: never hidden (its obscene score may send it to
    # review, where it stays visible).
    assert out[4]["decision"] in ("keep", "review") and out[4]["reason"] != "insult"
    # Escalated and hidden: the hide is what happens to the comment, with its reason.
    assert out[5]["decision"] == "hide" and out[5]["reason"] == "insult"
    assert counts() == before
    assert not Message.objects.filter(moderation__gt="").exists()


def test_bad_lines_answered_in_place_and_exit_2(tmp_path, workspace, owner):
    services.do_install_defaults(workspace, owner, enabled=True)
    lines: list[str | bytes] = [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"id": 3}),
        json.dumps({"id": 4, "text": "\ud800 seul"}),  # a lone surrogate, escaped in JSON
        "[" * 100_000 + "]" * 100_000,
        '{"id": 6, "text": "bonjour", "score": NaN}',
        b'{"id": 7, "text": "caf\xe9"}',  # not UTF-8
        json.dumps({"id": 8, "text": "ok", "author_followers": "many"}),
        json.dumps({"id": 9, "text": "ok", "kind": "tweet"}),
        "",
        json.dumps({"id": 11, "text": "Merci pour la bougie, elle sent bon"}),
    ]
    code, out = moderate(tmp_path, workspace.slug, lines)
    assert code == 2
    assert len(out) == len(lines)
    assert all(set(o) == {"error"} for o in out[:10]), out
    assert "NaN" in out[5]["error"] and "UTF-8" in out[6]["error"]
    assert out[10]["id"] == 11 and out[10]["decision"] == "keep"


def test_only_switched_on_rules_and_the_words_to_avoid(tmp_path, workspace, owner, capsys):
    code, out = moderate(tmp_path, workspace.slug, [json.dumps({"text": "Bande de connards"})])
    assert code == 0 and out[0]["decision"] == "keep"
    assert "no moderation rule is switched on" in capsys.readouterr().err
    services.do_install_defaults(workspace, owner, enabled=False)
    services.do_set_rule_enabled(Rule.objects.get(name="Insultes (mots)"), True)
    services.do_save_rule(
        workspace,
        owner,
        name="Mots à éviter",
        conditions=[{"kind": "words", "avoid_list": True}],
        actions=[{"kind": "review"}],
        reason="off_topic",
        enabled=True,
    )
    do_update_strategy(workspace, owner, {"words_to_avoid": ["pas cher"]})
    lines = [
        json.dumps({"text": "Bande de connards"}),
        json.dumps({"text": "Je vais porter plainte"}),  # its rule is off
        json.dumps({"text": "Des bougies pas cher ailleurs"}),
    ]
    code, out = moderate(tmp_path, workspace.slug, lines)
    assert [o["decision"] for o in out] == ["hide", "keep", "review"]
    assert out[2]["reason"] == "off_topic" and out[2]["rule"] == "Mots à éviter"


def test_unknown_workspace(tmp_path, db, capsys):
    assert cli.main(["moderate", "--workspace", "nowhere", "--in", str(tmp_path / "x")]) == 1
    assert "nowhere" in capsys.readouterr().err


@pytest.mark.slow
def test_a_real_parvis_process_reads_stdin_and_writes_stdout(tmp_path):
    from tests.processes import clean_env, run_parvis

    env = clean_env(tmp_path / "data")
    run_parvis(["migrate"], env)
    run_parvis(["workspace", "create", "acme", "--name", "Acme"], env)
    lines = [json.dumps({"id": 1, "text": "Merci !"}), "pas du JSON"]
    done = run_parvis(
        ["moderate", "--workspace", "acme"], env, stdin="\n".join(lines) + "\n", check=False
    )
    assert done.returncode == 2, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0]["id"] == 1 and out[0]["decision"] == "keep" and "error" in out[1]
    assert "no moderation rule is switched on" in done.stderr


def test_a_kind_that_is_not_a_string_is_an_error_not_a_comment(tmp_path, workspace, owner):
    lines: list[str | bytes] = [
        json.dumps({"id": 1, "text": "ok", "kind": bad}) for bad in ({}, [], 0, False)
    ]
    lines.append(json.dumps({"id": 5, "text": "ok", "kind": ""}))  # empty: the default
    code, out = moderate(tmp_path, workspace.slug, lines)
    assert code == 2
    assert all("'kind' is one of" in o["error"] for o in out[:4]), out
    assert out[4]["decision"] == "keep"
