"""Every save survives faults (issue 14): a full disk or a file size limit, SIGKILL mid-save, a
read-only or blocked directory, two processes saving one path. The target is always the old or
the new complete file, errors are OSErrors naming the file, and no temporary is left behind.
Bad files on the way in get a message saying what the file is.

Run as a script, this file is also the worker process the tests start:
`python tests/saving/test_file_faults.py MODE ARGS...` (see `_worker`). The fault tests need
Linux (RLIMIT_FSIZE, open-file-description locks); the ENOSPC and read-only cases also need
root and `unshare` (a tmpfs and a read-only bind mount in a private mount namespace) and skip
without them: as root, chmod does not stop writes, so a read-only mount is the only way.
"""

import errno
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
import torch

try:
    import resource
except ImportError:  # (Windows: the fault tests skip)
    resource = None

LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="needs Linux (RLIMIT_FSIZE, OFD locks)")
ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMATS = ("m.keras", "m.h5", "m.weights.h5", "m.pt")
LIMIT = 20_000  # bytes: a new file may not grow past this under RLIMIT_FSIZE


# =========================================================================== worker side

def build(tag, width=256, inputs=32):
    """A model whose every weight equals `tag`, so a loaded file says which save wrote it."""
    import lamina
    from lamina import layers

    model = lamina.Sequential([lamina.Input(shape=(inputs,)), layers.Dense(width),
                               layers.Dense(4)])
    fill(model, tag)
    return model


def fill(model, tag):
    with torch.no_grad():
        for weight in model.weights:
            weight.fill_(float(tag))


def save(model, path):
    path = str(path)
    if path.endswith((".weights.h5", ".pt")):
        model.save_weights(path)
    else:
        model.save(path)


def tag_of(path, width=256, inputs=32, weights_only=False):
    """Load `path` and return the one value all its weights hold (fails on a mixed file)."""
    import lamina

    path = str(path)
    if weights_only or path.endswith((".weights.h5", ".pt")):
        model = build(0, width, inputs)
        model.load_weights(path)
    else:
        model = lamina.models.load_model(path, compile=False)
    values = np.unique(np.concatenate([w.detach().numpy().ravel() for w in model.weights]))
    assert len(values) == 1, f"{path} mixes weights of several saves: {values}"
    return float(values[0])


def _fit_data():
    rng = np.random.RandomState(0)
    return rng.rand(16, 32).astype("float32"), rng.rand(16, 4).astype("float32")


def _case_actions():
    """case -> (file name, write the old file, the save that must fail, check the old file)."""
    import lamina

    def model_save(name):
        return (name, lambda p: save(build(1), p), lambda p: save(build(2), p),
                lambda p: tag_of(p) == 1.0)

    def fit_with(callback_factory, epochs=1):
        def run(path):
            model = build(2)
            model.compile(optimizer="sgd", loss="mse")
            x, y = _fit_data()
            model.fit(x, y, epochs=epochs, batch_size=8, verbose=0,
                      callbacks=[callback_factory(path)])
        return run

    def backup_old(path):
        model = build(1)
        model.compile(optimizer="sgd", loss="mse")
        x, y = _fit_data()
        callback = lamina.callbacks.BackupAndRestore(os.path.dirname(path),
                                                     delete_checkpoint=False)
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[callback])

    def backup_check(path):
        state = torch.load(path, weights_only=True)
        return state["format"] == "lamina.BackupAndRestore" and state["epoch"] == 1

    def csv_old(path):
        pathlib.Path(path).write_text("epoch,loss\n0,0.5\n")

    return {
        "keras": model_save("m.keras"),
        "h5": model_save("m.h5"),
        "weights_h5": model_save("m.weights.h5"),
        "legacy_weights_h5": ("w.h5", lambda p: build(1).save_weights(p),
                              lambda p: build(2).save_weights(p),
                              lambda p: tag_of(p, weights_only=True) == 1.0),
        "pt": model_save("m.pt"),
        "checkpoint": ("m.keras", lambda p: save(build(1), p),
                       fit_with(lambda p: lamina.callbacks.ModelCheckpoint(p)),
                       lambda p: tag_of(p) == 1.0),
        "checkpoint_weights": ("m.weights.h5", lambda p: save(build(1), p),
                               fit_with(lambda p: lamina.callbacks.ModelCheckpoint(
                                   p, save_weights_only=True)),
                               lambda p: tag_of(p) == 1.0),
        "backup": ("training_state.pt", backup_old,
                   fit_with(lambda p: lamina.callbacks.BackupAndRestore(
                       os.path.dirname(p), delete_checkpoint=False), epochs=2),
                   backup_check),
        "csv": ("log.csv", csv_old,
                fit_with(lambda p: lamina.callbacks.CSVLogger(p, append=True)),
                lambda p: pathlib.Path(p).read_text() == "epoch,loss\n0,0.5\n"),
    }


def _attempt(case, directory, limit_bytes=None):
    """Write the old file, then try the failing save (under RLIMIT_FSIZE if given)."""
    name, write_old, write_new, check_old = _case_actions()[case]
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    write_old(path)
    before = pathlib.Path(path).read_bytes()
    if limit_bytes is not None:
        limit = os.path.getsize(path) if case == "csv" else limit_bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        write_new(path)
        error = None
    except Exception as caught:  # noqa: BLE001 (reported to the test, which judges it)
        error = caught
    finally:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE,
                               (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    return {
        "path": path,
        "error": None if error is None else type(error).__name__,
        "oserror": isinstance(error, OSError),
        "errno": getattr(error, "errno", None),
        "message": str(error),
        "unchanged": pathlib.Path(path).read_bytes() == before,
        "old_loads": bool(check_old(path)),
        "listing": sorted(os.listdir(directory)),
    }


def _worker_fsize(root):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    return {case: _attempt(case, os.path.join(root, case), LIMIT) for case in _case_actions()}


def _mount(*args):
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _worker_mounts(root):
    """In a private mount namespace: each format saved over its old file on a tmpfs with room
    for the old file only (ENOSPC), and on a read-only bind mount (EROFS)."""
    try:
        _mount("--make-rprivate", "/")
        probe = os.path.join(root, "probe")
        os.makedirs(probe)
        _mount("-t", "tmpfs", "-o", "size=16k", "tmpfs", probe)
    except (OSError, subprocess.CalledProcessError) as error:
        return {"skip": f"cannot mount a tmpfs here: {error}"}
    results = {}
    for case in ("keras", "h5", "weights_h5", "pt"):
        name, write_old, _, _ = _case_actions()[case]
        scratch = os.path.join(root, "scratch", case)
        os.makedirs(scratch)
        write_old(os.path.join(scratch, name))
        size = os.path.getsize(os.path.join(scratch, name))
        directory = os.path.join(root, "full", case)
        os.makedirs(directory)
        # Room for the old file and half of the new one (tmpfs counts whole 4 KiB pages).
        room = (size + size // 2) // 4096 * 4096 + 4096
        _mount("-t", "tmpfs", "-o", f"size={room}", "tmpfs", directory)
        results[f"full_{case}"] = _attempt(case, directory)

        directory = os.path.join(root, "readonly", case)
        os.makedirs(directory)
        _, write_old, write_new, check_old = _case_actions()[case]
        path = os.path.join(directory, name)
        write_old(path)
        _mount("--bind", directory, directory)
        _mount("-o", "remount,bind,ro", directory)
        before = pathlib.Path(path).read_bytes()
        try:
            write_new(path)
            error = None
        except Exception as caught:  # noqa: BLE001
            error = caught
        results[f"readonly_{case}"] = {
            "path": path, "error": None if error is None else type(error).__name__,
            "oserror": isinstance(error, OSError), "errno": getattr(error, "errno", None),
            "message": str(error), "unchanged": pathlib.Path(path).read_bytes() == before,
            "old_loads": bool(check_old(path)), "listing": sorted(os.listdir(directory)),
        }
    return results


def _worker_loop(root, tag_a, tag_b, count):
    """Save every format over and over, alternating two tags; `count` < 0: until killed."""
    model = build(tag_a, width=512, inputs=256)
    done = 0
    while count < 0 or done < count:
        fill(model, tag_a if done % 2 == 0 else tag_b)
        for name in FORMATS:
            save(model, os.path.join(root, name))
        done += 1
        if done == 1:
            print("ready", flush=True)
    return {"saves": done}


def _worker(argv):
    import lamina  # noqa: F401  (the package under test, from the repository)

    mode, root = argv[0], argv[1]
    if mode == "faults":  # RLIMIT_FSIZE cases, then (in a private mount namespace) the mounts
        result = _worker_fsize(os.path.join(root, "fsize"))
        if len(argv) > 2 and argv[2] == "mounts":
            result.update(_worker_mounts(os.path.join(root, "mounts")))
        else:
            result["skip"] = "not run in a private mount namespace"
    else:  # loop
        result = _worker_loop(root, float(argv[2]), float(argv[3]), int(argv[4]))
    print("RESULT " + json.dumps(result), flush=True)


# =========================================================================== test side

def _start(*args, prefix=()):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([*prefix, sys.executable, __file__, *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(process, timeout=120):
    # Not communicate(): it reads the pipes' file descriptors directly, so a line that the
    # readline() waiting for "ready" already took into stdout's buffer (RESULT, from a fast
    # worker) would be lost. stderr is drained in a thread so that neither pipe can fill up.
    errors = []
    drain = threading.Thread(target=lambda: errors.append(process.stderr.read()))
    drain.start()
    out = process.stdout.read()
    process.wait(timeout=timeout)
    drain.join(timeout)
    process.stdout.close()
    process.stderr.close()
    err = "".join(errors)
    assert process.returncode == 0, err[-3000:]
    line = [line for line in out.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _temporaries(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def _can_mount():
    """Root on Linux with `unshare`: a private mount namespace for tmpfs and read-only mounts."""
    if not LINUX or os.geteuid() != 0:
        return False
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(scope="module")
def fault_results(tmp_path_factory):
    """One worker process runs every case (imports are the slow part)."""
    if not LINUX:
        pytest.skip("needs Linux")
    root = tmp_path_factory.mktemp("faults")
    if _can_mount():
        return _result(_start("faults", root, "mounts", prefix=["unshare", "--mount"]))
    return _result(_start("faults", root))


@pytest.fixture
def fsize_results(fault_results):
    return fault_results


@pytest.fixture
def mount_results(fault_results):
    if fault_results.get("skip"):
        pytest.skip(f"ENOSPC / read-only cases not run: {fault_results['skip']}")
    return fault_results


FSIZE_CASES = ["keras", "h5", "weights_h5", "legacy_weights_h5", "pt", "checkpoint",
               "checkpoint_weights", "backup", "csv"]


@linux_only
@pytest.mark.parametrize("case", FSIZE_CASES)
def test_a_file_size_limit_fails_cleanly(fsize_results, case):
    result = fsize_results[case]
    assert result["error"] is not None, f"{case}: the save did not fail under RLIMIT_FSIZE"
    assert result["oserror"], f"{case}: {result['error']}: {result['message']}"
    assert result["errno"] == errno.EFBIG
    assert result["path"] in result["message"]
    assert "file size limit" in result["message"]
    assert result["unchanged"] and result["old_loads"]
    assert result["listing"] == [os.path.basename(result["path"])]  # no temporary left


@linux_only
@pytest.mark.parametrize("case", ["keras", "h5", "weights_h5", "pt"])
def test_a_full_disk_fails_cleanly(mount_results, case):
    result = mount_results[f"full_{case}"]
    assert result["oserror"], f"{case}: {result['error']}: {result['message']}"
    assert result["errno"] == errno.ENOSPC
    assert result["path"] in result["message"] and "disk is full" in result["message"]
    assert "previous file there is unchanged" in result["message"]
    assert result["unchanged"] and result["old_loads"]
    assert result["listing"] == [os.path.basename(result["path"])]


@linux_only
@pytest.mark.parametrize("case", ["keras", "h5", "weights_h5", "pt"])
def test_a_read_only_directory_fails_cleanly(mount_results, case):
    # (As root, chmod does not stop writes: a read-only bind mount does.)
    result = mount_results[f"readonly_{case}"]
    assert result["oserror"], f"{case}: {result['error']}: {result['message']}"
    assert result["errno"] == errno.EROFS
    assert result["path"] in result["message"] and "read-only" in result["message"]
    assert result["unchanged"] and result["old_loads"]
    assert result["listing"] == [os.path.basename(result["path"])]


@linux_only
def test_kill_9_mid_save_leaves_the_old_or_the_new_file(tmp_path):
    """Processes saving every format in a loop are killed at random moments: each target is
    then a complete file from one of the saves, and the next save clears what the kill left."""
    rng = random.Random()
    directories = [tmp_path / str(i) for i in range(3)]
    workers = []
    for directory in directories:  # (started together: their imports overlap)
        directory.mkdir()
        workers.append(_start("loop", directory, 1, 2, -1))
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()[-3000:]
        time.sleep(rng.uniform(0.0, 0.3))  # (each keeps saving until killed)
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
        assert worker.returncode == -signal.SIGKILL
    model = build(9, width=512, inputs=256)
    for directory in directories:
        for name in FORMATS:
            assert tag_of(directory / name, 512, 256) in {1.0, 2.0}
            save(model, directory / name)
            assert tag_of(directory / name, 512, 256) == 9.0
        assert sorted(os.listdir(directory)) == sorted(FORMATS)  # the kills' leftovers removed


@linux_only
def test_two_processes_saving_one_path(tmp_path):
    """Two processes save the same files at once, many times; a reader meanwhile always finds a
    complete file written by one of them, and the end result is one of theirs, alone."""
    writers = [_start("loop", tmp_path, 1, 1, 8), _start("loop", tmp_path, 2, 2, 8)]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()[-3000:]
    reads = 0
    while any(writer.poll() is None for writer in writers):
        for name in ("m.keras", "m.weights.h5"):
            assert tag_of(tmp_path / name, 512, 256) in {1.0, 2.0}
            reads += 1
    for writer in writers:
        assert _result(writer)["saves"] == 8
    assert reads > 0
    for name in FORMATS:
        assert tag_of(tmp_path / name, 512, 256) in {1.0, 2.0}
    assert sorted(os.listdir(tmp_path)) == sorted(FORMATS)


# --------------------------------------------------------------------------- in process

@pytest.fixture
def model():
    return build(1, width=8, inputs=4)


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "m.weights.h5", "m.pt"])
def test_a_file_where_the_directory_should_be(tmp_path, model, name):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a directory")
    target = blocker / "sub" / name
    with pytest.raises(NotADirectoryError) as info:
        save(model, target)
    assert str(target) in str(info.value)
    assert f"'{blocker}' is a file, not a directory" in str(info.value)
    assert blocker.read_text() == "a file, not a directory"


def test_model_checkpoint_under_a_file_names_it(tmp_path, model):
    import lamina

    blocker = tmp_path / "runs"
    blocker.write_text("")
    model.compile(optimizer="sgd", loss="mse")
    checkpoint = lamina.callbacks.ModelCheckpoint(str(blocker / "{epoch}.keras"))
    x, y = np.zeros((4, 4), "float32"), np.zeros((4, 4), "float32")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])


def test_a_target_that_is_a_directory(tmp_path, model):
    (tmp_path / "m.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="m.keras.*is a directory"):
        model.save(tmp_path / "m.keras")  # (zipped=True: a file is wanted)
    assert _temporaries(tmp_path) == []


def test_a_full_disk_is_reported_for_any_writer(tmp_path, model, monkeypatch):
    """Without a small file system to fill: the disk fills on the fsync, as it can on network
    and copy-on-write file systems."""
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()

    def full(handle):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="disk is full.*previous file there is unchanged") as info:
        build(2, width=8, inputs=4).save(tmp_path / "m.keras")
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC and str(tmp_path / "m.keras") in str(info.value)
    assert (tmp_path / "m.keras").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


@linux_only
def test_only_temporaries_of_dead_writers_are_removed(tmp_path, model):
    import fcntl

    from lamina.saving import atomic

    if not atomic._CAN_LOCK:
        pytest.skip("no open-file-description locks here")

    target = tmp_path / "m.weights.h5"
    abandoned = tmp_path / ".m.weights.h5.abcd1234.tmp"
    abandoned.write_bytes(b"half a file")
    in_progress = tmp_path / ".m.weights.h5.efgh5678.tmp"
    in_progress.write_bytes(b"being written")
    unrelated = tmp_path / ".other.h5.abcd1234.tmp"
    unrelated.write_bytes(b"another target's")
    with open(in_progress, "rb+") as held:
        atomic._lock(held.fileno(), fcntl.F_WRLCK, wait=False)  # a live writer's lock
        model.save_weights(target)
        assert sorted(os.listdir(tmp_path)) == sorted([target.name, in_progress.name,
                                                       unrelated.name])
    assert atomic.temporary_pattern(target).fullmatch(abandoned.name)
    assert not atomic.temporary_pattern(target).fullmatch(unrelated.name)


def test_a_new_h5_file_opens_while_its_writer_still_holds_its_lock(tmp_path, model):
    """HDF5 locks files it opens (flock): the writer's liveness lock, still held for a moment
    after the rename, must not make a reader's open fail (EAGAIN) in that moment."""
    import h5py

    from lamina.saving import atomic

    target = tmp_path / "m.weights.h5"
    with atomic._temporary(str(target)) as (handle, temporary):
        with h5py.File(temporary, "w") as f:
            f["x"] = np.arange(3)
        os.replace(temporary, target)
        with h5py.File(target, "r") as f:  # the writer's handle is still open and locked
            assert list(f["x"][()]) == [0, 1, 2]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only directories (see the read-only mount case)")
def test_a_directory_without_write_permission(tmp_path, model):
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(PermissionError, match="m.keras.*permission denied") as info:
            model.save(tmp_path / "m.keras")
    finally:
        os.chmod(tmp_path, 0o755)
    assert "previous file there is unchanged" in str(info.value)
    assert (tmp_path / "m.keras").read_bytes() == before


def test_a_name_as_long_as_the_file_system_allows(tmp_path, model):
    name = "m" * (250 - len(".weights.h5")) + ".weights.h5"  # (the temporary's would be longer)
    model.save_weights(tmp_path / name)
    model.load_weights(tmp_path / name)
    assert os.listdir(tmp_path) == [name]


@linux_only
def test_saved_files_get_ordinary_permissions(tmp_path, model):
    mask = os.umask(0o022)
    os.umask(mask)
    model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").stat().st_mode & 0o777 == 0o666 & ~mask
    os.chmod(tmp_path / "m.keras", 0o640)
    model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").stat().st_mode & 0o777 == 0o640  # an overwrite keeps them


# --------------------------------------------------------------------------- files that are wrong

def _archive_with(tmp_path, model, name, **members):
    good = tmp_path / "good.keras"
    model.save(good)
    with zipfile.ZipFile(good) as archive:
        content = {n: archive.read(n) for n in archive.namelist()}
    content.update(members)
    with zipfile.ZipFile(tmp_path / name, "w") as archive:
        for member, data in content.items():
            archive.writestr(member, data)
    return tmp_path / name


def _config(model, edit):
    from lamina.saving import keras_archive

    config = keras_archive.model_config(model)
    edit(config)
    return json.dumps(config)


@pytest.mark.parametrize("members, message", [
    (lambda m: {"config.json": b"\xff\xfe\x00"}, "corrupted config.json"),
    (lambda m: {"config.json": "[1, 2]"}, "config.json is a list"),
    (lambda m: {"config.json": _config(m, lambda c: c.pop("class_name"))},
     "config.json has no `class_name` field"),
    (lambda m: {"config.json": _config(m, lambda c: c["config"]["layers"][1].pop("class_name"))},
     r"layer 1 \('dense'\) of config.json has no `class_name`"),
    (lambda m: {"config.json": _config(m, lambda c: c["config"].pop("layers"))},
     "does not describe a model.*'layers'"),
    (lambda m: {"model.weights.h5": b"hello"}, "model.weights.h5 that is not an HDF5 file"),
    (lambda m: {"model.weights.h5": b""}, "model.weights.h5 that is not an HDF5 file .it is empty"),
])
def test_a_keras_archive_that_is_wrong_inside(tmp_path, model, members, message):
    path = _archive_with(tmp_path, model, "bad.keras", **members(model))
    with pytest.raises(ValueError, match=message) as info:
        __import__("lamina").models.load_model(path)
    assert str(path) in str(info.value)


def test_legacy_weights_under_a_keras3_name(tmp_path, model):
    model.save_weights(tmp_path / "legacy.h5")
    os.rename(tmp_path / "legacy.h5", tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="legacy Keras 2 `.h5` layout.*name ending in `.h5`"):
        model.load_weights(tmp_path / "w.weights.h5")


@pytest.mark.parametrize("content, message", [
    (b"", "it is empty"),
    (b"garbage bytes", "it starts with bytes b'garbage "),
    ("keras", "it is a .keras model archive"),
    ("truncated", "damaged .truncated.. zip archive"),
])
def test_a_pt_file_that_is_not_one(tmp_path, model, content, message):
    path = tmp_path / "w.pt"
    if content == "keras":
        model.save(tmp_path / "m.keras")
        os.rename(tmp_path / "m.keras", path)
    elif content == "truncated":
        model.save_weights(path)
        path.write_bytes(path.read_bytes()[:200])
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=f"is not a PyTorch state_dict file.*{message}"):
        model.load_weights(path)


@pytest.mark.parametrize("name", ["w.pt", "w.weights.h5", "w.h5"])
def test_a_directory_given_as_a_weights_file(tmp_path, model, name):
    (tmp_path / name).mkdir()
    with pytest.raises((IsADirectoryError, ValueError), match="is a directory"):
        model.load_weights(tmp_path / name)


def test_a_truncated_backup_says_what_to_do(tmp_path, model):
    import lamina

    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 4), "float32"), np.zeros((4, 4), "float32")
    backup = lamina.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])
    path = tmp_path / "training_state.pt"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="is not a BackupAndRestore backup.*damaged.*Delete the "
                                         "backup directory"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[backup])


if __name__ == "__main__":
    _worker(sys.argv[1:])
