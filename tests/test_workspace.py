"""The workspace: designs saved and listed by id, runs listed per design with their curves read from disk."""

import json

import pytest

from builder.design import DesignFormatError
from builder.templates import load_template
from builder.workspace import Workspace


def test_designs_round_trip_by_id_and_list_newest_first(tmp_path):
    ws = Workspace(tmp_path)
    a, b = ws.new_id("LeNet-5 (digits)"), ws.new_id("")
    assert (
        a.startswith("lenet-5-digits-")
        and ws.new_id("digits_mlp").startswith("digits_mlp-")
        and b.startswith("design-")
    )
    ws.save(a, load_template("lenet5"))
    ws.save(b, load_template("digits_mlp"))
    assert ws.load(a) == load_template("lenet5")
    assert [e.id for e in ws.designs()][0] in (a, b) and {e.name for e in ws.designs()} == {"lenet5", "digits_mlp"}
    assert ws.has(a) and not ws.has("nope") and not ws.has("../etc/passwd")


def test_bad_ids_and_missing_or_malformed_designs_are_named(tmp_path):
    ws = Workspace(tmp_path)
    for bad in ("../x", "A B", "", "x/y"):
        with pytest.raises(KeyError, match="is not a design id"):
            ws.load(bad)
    with pytest.raises(KeyError, match="no design 'gone'"):
        ws.load("gone")
    (tmp_path / "designs").mkdir()
    (tmp_path / "designs" / "broken.json").write_text('{"version": 1, "nodes": [{"id": 1}]}')
    with pytest.raises(DesignFormatError, match=r"\$\.nodes\[0\]\.id"):
        ws.load("broken")
    (tmp_path / "designs" / "junk.json").write_text("not json")
    assert {e.id: e.name for e in ws.designs()}["junk"] == "junk (unreadable)"


def test_runs_are_listed_per_design_with_their_epochs_from_disk(tmp_path):
    ws = Workspace(tmp_path)
    design = load_template("digits_mlp")
    run = ws.start(design, {"epochs": 2, "dataset": "digits"}, design_id="mine-1")
    assert ws.live(run.run_id) is run
    assert run.join(120)
    assert ws.run(run.run_id).status == "finished", ws.run(run.run_id).end
    other = ws.start(design, {"epochs": 1, "optimizer": "sgd"}, design_id="other-2")
    other.join(120)
    runs = ws.runs("mine-1")
    assert [r.run_id for r in runs] == [run.run_id]
    info = runs[0]
    assert info.status == "finished" and info.design_name == "digits_mlp" and info.config["epochs"] == 2
    assert [e["epoch"] for e in info.epochs] == [1, 2] and info.test_metrics["accuracy"] > 0.5
    assert "Adam lr=0.003 · digits · finished" in info.label  # digits_mlp's own settings
    assert {r.design_id for r in ws.runs()} == {"mine-1", "other-2"}
    # a restarted app has no live runs: everything comes back from the files
    fresh = Workspace(tmp_path)
    fresh_info = fresh.run(run.run_id)
    assert fresh_info.epochs == info.epochs and fresh_info.end["metrics"] == info.end["metrics"]
    snap = fresh.snapshot(run.run_id)
    assert snap["epoch"] == 2 and "norms" in snap and isinstance(snap["activations"], dict)
    meta = json.loads((tmp_path / "runs" / run.run_id / "run.json").read_text())
    assert meta["meta"] == {"design_id": "mine-1"} and meta["design"]["name"] == "digits_mlp"


def test_a_run_cut_off_by_a_restart_reads_as_interrupted(tmp_path):
    ws = Workspace(tmp_path)
    run = ws.start(load_template("digits_mlp"), {"epochs": 1}, design_id="d")
    run.join(120)
    events = (run.run_dir / "events.jsonl").read_text().splitlines()
    (run.run_dir / "events.jsonl").write_text("\n".join(e for e in events if '"finished"' not in e) + "\n")
    assert ws.run(run.run_id).status == "interrupted"


@pytest.mark.parametrize("bad", ["abc\n", "../etc/passwd", "/abs", "a/b", "", "A" * 65])
def test_ids_that_could_leave_the_workspace_are_refused(tmp_path, bad):
    ws = Workspace(tmp_path)
    assert not ws.has(bad)
    with pytest.raises(KeyError):
        ws.save(bad, load_template("lenet5"))
    for call in (ws.run, ws.events, ws.snapshot):
        with pytest.raises(KeyError):
            call(bad)
    with pytest.raises(ValueError):
        ws.inside("exports", "..", "..", "x")
    assert ws.inside("exports", "lenet5-abc", "model") == tmp_path / "exports" / "lenet5-abc" / "model"


def _finished_run(ws):
    from builder.train import train

    r = train(load_template("digits_mlp"), {"epochs": 2}, workspace=ws.root)
    assert r.status == "finished", r.message
    return r


def test_a_truncated_events_line_is_skipped_and_reported(tmp_path):
    ws = Workspace(tmp_path)
    r = _finished_run(ws)
    events = r.run_dir / "events.jsonl"
    lines = events.read_text().splitlines()
    events.write_text("\n".join(lines[:3] + [lines[3][:20]] + lines[4:]) + "\n")  # a line cut short mid-file
    info = ws.run(r.run_id)
    assert info.status == "finished" and len(info.epochs) == 2
    assert info.problems == ["events.jsonl line 4 is damaged and was skipped (JSONDecodeError)"]


def test_a_damaged_run_json_shows_that_run_as_damaged_and_leaves_the_rest(tmp_path):
    ws = Workspace(tmp_path)
    good, bad = _finished_run(ws), _finished_run(ws)
    (bad.run_dir / "run.json").write_text("[]")
    runs = {i.run_id: i for i in ws.runs()}
    assert runs[good.run_id].status == "finished"
    assert runs[bad.run_id].status == "damaged" and runs[bad.run_id].problems == ["run.json holds list, not an object"]
    assert "damaged" in runs[bad.run_id].label
    with pytest.raises(Exception, match="run.json holds list"):
        ws.run_design(runs[bad.run_id])


def test_a_truncated_probe_snapshot_says_so(tmp_path):
    from builder.workspace import DamagedRun

    ws = Workspace(tmp_path)
    r = _finished_run(ws)
    probes = r.run_dir / "probes.pt"
    probes.write_bytes(probes.read_bytes()[:100])
    with pytest.raises(DamagedRun, match="probes.pt of .* cannot be read"):
        ws.snapshot(r.run_id)


def test_a_run_can_be_renamed_and_deleted_and_a_design_goes_with_its_runs(tmp_path):
    from builder.workspace import RunBusy

    ws = Workspace(tmp_path)
    design = load_template("mlp_xor")
    ws.save("mine-1", design)
    ws.save("keep-2", design)
    done = [ws.start(design, {"epochs": 1}, design_id="mine-1") for _ in range(2)]
    kept = ws.start(design, {"epochs": 1}, design_id="keep-2")
    for r in (*done, kept):
        assert r.join(120) and ws.run(r.run_id).status == "finished"
    ws.rename_run(done[0].run_id, "  wide   net, try 2 ")
    info = ws.run(done[0].run_id)
    assert info.title == "wide net, try 2" and info.short_label == "wide net, try 2" and "wide net" in info.label
    assert Workspace(tmp_path).run(done[0].run_id).epochs == info.epochs  # the run's files are otherwise untouched
    ws.rename_run(done[0].run_id, "")
    assert ws.run(done[0].run_id).short_label.startswith("Adam")
    with pytest.raises(ValueError, match="at most 80"):
        ws.rename_run(done[0].run_id, "x" * 81)
    with pytest.raises(KeyError):
        ws.rename_run("../escape", "x")

    ws.delete_run(done[1].run_id)
    assert [r.run_id for r in ws.runs("mine-1")] == [done[0].run_id]
    with pytest.raises(KeyError, match="no run"):
        ws.delete_run(done[1].run_id)

    # a design with a run still training is not deleted at all
    slow = ws.start(design, {"epochs": 200}, design_id="mine-1")
    slow.pause()
    with pytest.raises(RunBusy, match="still training"):
        ws.delete_design("mine-1")
    assert ws.has("mine-1") and len(ws.runs("mine-1")) == 2
    slow.stop()
    slow.join(120)
    assert sorted(ws.delete_design("mine-1")) == sorted([done[0].run_id, slow.run_id])
    assert not ws.has("mine-1") and ws.runs("mine-1") == []
    assert ws.has("keep-2") and [r.run_id for r in ws.runs("keep-2")] == [kept.run_id]  # other designs stay
