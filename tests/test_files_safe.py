"""Files are safe (issue 13): no verb writes an input, writes are atomic and exclusive, a real
signal leaves nothing behind, and a planted cache entry can neither run code nor change a result."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, copy_inputs, run_cli


@pytest.fixture
def world(tmp_path, monkeypatch, warm_cache):
    inputs = copy_inputs(tmp_path, monkeypatch, warm_cache)
    drivers, scenario, actuals, cache = inputs.drivers, inputs.scenario, inputs.actuals, inputs.cache
    entry = next(cache.glob("drivers-*.json"))
    return {"drivers": drivers, "scenario": scenario, "actuals": actuals, "driver_file": drivers / "apple.toml",
            "bull": drivers / "scenarios" / "bull.toml", "secret": cache / "secret", "entry": entry, "root": tmp_path}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Each verb with --output or --plot, with the options that make it read every kind of input.
VERBS = {
    "forecast": ["forecast", "--format", "json", "--scenario", "{scenario}", "--actuals", "{actuals}", "--output"],
    "forecast csv (lean path)": ["forecast", "--format", "csv", "--scenario", "{scenario}", "--output"],
    "drivers": ["drivers", "--format", "json", "--output"],
    "scenarios": ["scenarios", "bull", "base", "--format", "json", "--output"],
    "sensitivity": ["sensitivity", "--format", "json", "--scenario", "{scenario}", "--output"],
    "sensitivity grid": ["sensitivity", "--format", "csv", "--grid", "ai.penetration_target,paas.share", "--output"],
    "simulate": ["simulate", "--draws", "100", "--format", "csv", "--scenario", "{scenario}", "--output"],
    "simulate --plot": ["simulate", "--draws", "100", "--scenario", "{scenario}", "--plot"],
    "explain --plot": ["explain", "cloud.revenue", "--vs-scenario", "{scenario}", "--plot"],
    "explain --from --plot": ["explain", "cloud.revenue", "--from", "FY2025", "--plot"],
    "calibrate": ["calibrate", "--output"],
    "backtest": ["backtest", "--actuals", "{actuals}", "--format", "json", "--output"],
    "update": ["update", "--actuals", "{actuals}", "--format", "json", "--output"],
}
INPUTS = ("driver_file", "bull", "scenario", "actuals", "secret", "entry")


def _reads(verb: str) -> list[str]:
    """The inputs a verb's run reads: the drivers, the scenarios folder and the cache always."""
    args = VERBS[verb]
    return [t for t in INPUTS if t not in ("scenario", "actuals") or "{" + t + "}" in args]


@pytest.mark.parametrize(("verb", "target"), [(v, t) for v in VERBS for t in _reads(v)])
def test_no_verb_writes_an_input_even_with_force(world, verb, target):
    path = world[target]
    before = {name: _digest(world[name]) for name in INPUTS}
    args = [a.format(**{k: str(v) for k, v in world.items()}) for a in VERBS[verb]]
    result = run_cli(*args, str(path), "--force", "--drivers", str(world["drivers"]))
    assert result.code == 2, result.stderr
    assert any(m in result.stderr for m in ("never overwritten", "cache folder", "drivers folder")), result.stderr
    assert "Traceback" not in result.stderr
    assert {name: _digest(world[name]) for name in INPUTS} == before
    assert not list(world["root"].rglob("*.tmp"))


def test_outputs_are_exclusive_without_force_and_replace_only_regular_files(world, tmp_path):
    from cloudmodel.errors import InputError
    from cloudmodel.present.output import check_target, write_atomic

    out = tmp_path / "new.json"
    write_atomic(out, lambda p: p.write_text("first"))
    assert out.read_text() == "first"
    with pytest.raises(InputError, match="already exists"):  # a second writer of the same new file loses
        write_atomic(out, lambda p: p.write_text("second"))
    assert out.read_text() == "first"
    write_atomic(out, lambda p: p.write_text("third"), force=True)
    assert out.read_text() == "third"
    link = tmp_path / "link.json"
    link.symlink_to(out)
    with pytest.raises(InputError, match="symbolic link"):
        check_target(link, force=True)
    assert link.is_symlink() and out.read_text() == "third"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    from cloudmodel.present.output import write_atomic

    out = tmp_path / "out.json"

    def boom(p: Path) -> None:
        p.write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, boom)
    assert list(tmp_path.iterdir()) == []


WRITER = """
import sys, time
from pathlib import Path
from cloudmodel.present.output import write_atomic

def slow(p):
    with open(p, "wb") as handle:
        for _ in range(400):
            handle.write(b"x" * (1 << 18))   # 100 MB in all, slowly
            handle.flush()
            Path(sys.argv[2]).touch()          # tell the test the write is under way
            time.sleep(0.01)

write_atomic(Path(sys.argv[1]), slow)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_large_write_leaves_nothing(tmp_path, sig):
    out, started = tmp_path / "big.parquet", tmp_path / "started"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(out), str(started)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while not started.exists() and time.time() < deadline:
        time.sleep(0.02)
    assert started.exists(), child.communicate()[1]
    temps = [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    assert temps and temps[0].stat().st_size > 0  # a write really is under way
    child.send_signal(sig)
    _, err = child.communicate(timeout=30)
    assert child.returncode != 0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["started"], err.decode()[-500:]


def test_ctrl_c_in_the_cli_exits_130_without_a_traceback(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-m", "cloudmodel", "simulate", "--draws", "20000000", "--format", "json"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    time.sleep(1.0)  # mid-import or mid-run: either way exit 130, no traceback
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    if child.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert child.returncode == 130, err.decode()[-500:]
    assert b"Traceback" not in err and b"interrupted" in err


# --------------------------------------------------------------------------- the cache

def _target_price(world) -> str:
    result = run_cli("forecast", "--drivers", str(world["drivers"]), "--format", "json")
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    return next(r["value"] for r in rows if r["line"] == "valuation.target.usd_per_ads" and r["period"] == "FY2026"), result.stderr


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['CLOUDMODEL_MARKER']}",))


def test_a_planted_pickle_never_runs(world, monkeypatch):
    marker = world["root"] / "pwned"
    monkeypatch.setenv("CLOUDMODEL_MARKER", str(marker))
    good, _ = _target_price(world)
    cache = world["entry"].parent
    for name in [world["entry"].name, *(p.name.replace(".json", ".pickle") for p in cache.glob("drivers-*.json"))]:
        (cache / name).write_bytes(pickle.dumps(_Payload()))
    for stale in ("drivers-0.1.0-0123456789abcdef.pickle",):  # the old cache's naming
        (cache / stale).write_bytes(pickle.dumps(_Payload()))
    price, stderr = _target_price(world)
    assert not marker.exists()
    assert price == good
    assert "failed its authentication check" in stderr


def test_an_edited_entry_cannot_change_a_result(world):
    good, _ = _target_price(world)
    entry = world["entry"]
    data = entry.read_bytes()
    head, mac, payload = data.split(b"\n", 2)
    document = json.loads(payload)
    for record in document["drivers"]:
        if record["id"] == "valuation.cloud_ps_multiple":
            record["value"] = record["value"] * 10
    forged = json.dumps(document).encode()
    entry.write_bytes(head + b"\n" + mac + b"\n" + forged)
    price, stderr = _target_price(world)
    assert price == good
    assert "authentication" in stderr
    # a well-formed entry under a key the attacker guessed, with a made-up MAC: same
    entry.write_bytes(head + b"\n" + b"0" * 64 + b"\n" + forged)
    assert _target_price(world)[0] == good
    # and --strict still judges the true result
    assert run_cli("forecast", "--drivers", str(world["drivers"]), "--format", "json", "--strict").code == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_with_loose_permissions_is_ignored_with_a_warning(world):
    good, _ = _target_price(world)
    os.chmod(world["secret"], 0o644)
    price, stderr = _target_price(world)
    assert price == good and "secret" in stderr and "ignored" in stderr
    os.chmod(world["secret"], 0o600)
    os.chmod(world["entry"].parent, 0o777)
    price, stderr = _target_price(world)
    assert price == good and "writable by others" in stderr
    os.chmod(world["entry"].parent, 0o700)


def test_the_cache_is_json_keyed_by_bytes_and_code(world):
    from cloudmodel.inputs import cache

    data = world["entry"].read_bytes()
    assert data.startswith(cache.MAGIC)
    json.loads(data.split(b"\n", 2)[2])  # data only
    assert (os.stat(world["secret"]).st_mode & 0o777) == 0o600
    contents = [(p, p.read_bytes()) for p in sorted(world["drivers"].glob("*.toml"))]
    key = cache.cache_key(contents)
    assert world["entry"].name == f"drivers-{key[:32]}.json"
    assert cache.cache_key(contents[:-1] + [(contents[-1][0], contents[-1][1] + b"\n")]) != key


def test_sigterm_during_the_clis_own_large_write_leaves_nothing(tmp_path):
    """The real verb: simulate writing ~37 MB of draws as Parquet, terminated while the temporary file exists."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-m", "cloudmodel", "simulate", "--draws", "100000", "--format", "parquet",
                              "--output", "big.parquet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.time() + 60
    while time.time() < deadline and child.poll() is None and not list(tmp_path.glob(".big.parquet.*.tmp")):
        time.sleep(0.005)
    if child.poll() is not None:
        pytest.skip(f"the run ended before it could be interrupted ({child.returncode}: {child.communicate()[1][-300:]!r})")
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signal.SIGTERM and b"Traceback" not in err
    assert b"terminated; nothing was written" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_a_cache_secret_owned_by_someone_else_is_ignored(world):
    good, _ = _target_price(world)
    os.chown(world["secret"], 12345, 12345)
    price, stderr = _target_price(world)
    assert price == good and "not a private file of this user" in stderr


def test_a_cache_entry_that_is_a_symlink_is_not_followed(world):
    good, _ = _target_price(world)
    planted = world["root"] / "planted.json"
    planted.write_bytes(world["entry"].read_bytes())
    world["entry"].unlink()
    world["entry"].symlink_to(planted)
    price, stderr = _target_price(world)
    assert price == good and "cannot be opened" in stderr


@pytest.mark.parametrize("where", ["/dev/null", "/proc/cloudmodel-nope", "{root}/" + "c" * 300, "{root}/file"])
def test_an_unusable_cache_folder_never_stops_a_run(world, monkeypatch, where):
    (world["root"] / "file").write_text("not a folder")
    monkeypatch.setenv("CLOUDMODEL_CACHE_DIR", where.format(root=world["root"]))
    result = run_cli("forecast", "--drivers", str(world["drivers"]), "--format", "json")
    assert result.code == 0 and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["rows"]


def test_two_runs_writing_the_same_new_file_cannot_both_win(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, "-m", "cloudmodel", "forecast", "--format", "json", "--output", "same.json"]
    children = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(3)]
    results = [(child.wait(timeout=120), child.stderr.read().decode()) for child in children]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2], results
    assert all("already exists" in err for code, err in results if code == 2)
    json.loads((tmp_path / "same.json").read_text(encoding="utf-8"))  # one whole document
    assert [p.name for p in tmp_path.iterdir()] == ["same.json"]
