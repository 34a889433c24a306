"""The render CLI's plumbing that needs no ComfyUI: where it boots the host, and what --checkpoint may touch."""

from dataclasses import replace
from pathlib import Path

import pytest

from scripts import host, render


class FakeBed:
    """What render.boot calls on a booted ComfyUI."""

    def __init__(self, cpu: bool) -> None:
        self.cpu = cpu
        self.bars = None

    def show_progress_bars(self, on: bool) -> None:
        self.bars = on

    def device(self) -> str:
        return "cpu" if self.cpu else "cuda:0"


@pytest.fixture
def booted(monkeypatch):
    """render.boot with the host's boot recorded instead of run: a list of its keyword arguments."""
    calls = []

    def boot(base, cpu=True, cache=False):
        calls.append({"base": base, "cpu": cpu, "cache": cache})
        return FakeBed(cpu)

    monkeypatch.setattr(host, "boot", boot)
    monkeypatch.setattr(host, "host_version", lambda: "0.0.0")
    return calls


@pytest.mark.parametrize("accelerator, cpu_option, forced, why", [
    (True, False, False, ""),
    (True, True, True, " (--cpu)"),
    (False, False, True, " (torch sees no GPU)"),
])
def test_the_cli_boots_comfyui_on_the_gpu_unless_told_or_there_is_none(
        booted, monkeypatch, capsys, accelerator, cpu_option, forced, why):
    """As a plain ComfyUI server: the GPU whenever torch sees one; the CPU with --cpu or without a GPU.
    The output cache is on, so loaders and Fast Walk Render run once per render, not per window."""
    monkeypatch.setattr(host, "accelerator_available", lambda: accelerator)
    comfy = render.boot(render.RenderOptions(base=Path("/b"), cpu=cpu_option))
    assert booted == [{"base": Path("/b"), "cpu": forced, "cache": True}]
    assert comfy.bars is False
    device = "cpu" if forced else "cuda:0"
    assert capsys.readouterr().err == f"ComfyUI 0.0.0 samples on {device}{why}\n"


def select(checkpoint: Path, base: Path) -> list[tuple[str, str]]:
    """The overrides by which the render selects --checkpoint in `base`'s models (linking it in where needed)."""
    return render._local_checkpoint({}, render.RenderOptions(checkpoint=checkpoint, base=base), [])


def test_a_checkpoint_already_in_the_models_folder_is_used_where_it_lies(tmp_path):
    folder = tmp_path / "base" / "models" / "checkpoints"
    (folder / "sub").mkdir(parents=True)
    model = folder / "sub" / "mine.safetensors"
    model.write_bytes(b"weights")
    overrides = select(model, tmp_path / "base")
    assert overrides == [("ckpt_name", "sub/mine.safetensors")]
    assert model.read_bytes() == b"weights" and not model.is_symlink()
    assert sorted(p.name for p in folder.rglob("*")) == ["mine.safetensors", "sub"]


def test_a_link_in_the_models_folder_is_used_by_its_own_name(tmp_path):
    model = tmp_path / "elsewhere" / "v1-5-pruned.safetensors"
    model.parent.mkdir()
    model.write_bytes(b"weights")
    folder = tmp_path / "base" / "models" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "mine.safetensors").symlink_to(model)
    overrides = select(folder / "mine.safetensors", tmp_path / "base")
    assert overrides == [("ckpt_name", "mine.safetensors")]
    assert sorted(p.name for p in folder.iterdir()) == ["mine.safetensors"]


def test_a_checkpoint_elsewhere_is_linked_in_once(tmp_path):
    model = tmp_path / "elsewhere" / "mine.safetensors"
    model.parent.mkdir()
    model.write_bytes(b"weights")
    base = tmp_path / "base"
    (base / "models" / "checkpoints").mkdir(parents=True)
    for _ in range(2):  # the second render finds the link it made
        assert select(model, base) == [("ckpt_name", "mine.safetensors")]
    link = base / "models" / "checkpoints" / "mine.safetensors"
    assert link.is_symlink() and link.resolve() == model.resolve() and model.read_bytes() == b"weights"


def test_a_different_file_of_the_same_name_is_an_error_naming_both(tmp_path):
    model = tmp_path / "elsewhere" / "mine.safetensors"
    model.parent.mkdir()
    model.write_bytes(b"new weights")
    there = tmp_path / "base" / "models" / "checkpoints" / "mine.safetensors"
    there.parent.mkdir(parents=True)
    there.write_bytes(b"old weights")
    with pytest.raises(FileExistsError) as error:
        select(model, tmp_path / "base")
    assert str(error.value) == (f"--checkpoint {model}: {there} is a different file of the same name: rename one of "
                                "them, or pass --base with another ComfyUI base folder")
    assert there.read_bytes() == b"old weights" and model.read_bytes() == b"new weights"
    options = replace(render.RenderOptions(), checkpoint=model, base=tmp_path / "base")
    with pytest.raises(FileExistsError):  # before ComfyUI boots
        render.check_before_boot(Path("workflows/meander_seed_walk.json"), tmp_path / "w.mp4", options)


def test_without_checkpoint_the_callers_default_model_is_made_in_the_models_folder(tmp_path, capsys):
    """make render's path (tools/render_demo.py): the default model is written into the base's models under its
    name, and its settings go in before --set, only for inputs the graph has and --set does not name."""
    made = []
    model = render.DefaultModel("demo.safetensors", make=lambda path: made.append(path) or path,
                                settings=(("width", "128"), ("steps", "5"), ("frames", "24")), note="the demo")
    prompt = {"1": {"class_type": "X", "inputs": {"width": 512, "steps": 20}}}
    options = render.RenderOptions(base=tmp_path, default_model=model)
    overrides = render._local_checkpoint(prompt, options, [("steps", "9")])
    assert overrides == [("ckpt_name", "demo.safetensors"), ("width", "128"), ("steps", "9")]
    assert made == [tmp_path / "models" / "checkpoints" / "demo.safetensors"]
    assert capsys.readouterr().err == "no --checkpoint: the demo, width=128\n"


def test_without_checkpoint_or_default_model_only_servers_may_render(tmp_path):
    """The shipped CLI has no model of its own: in this process and on Ray it needs --checkpoint (before the
    boot); on servers the workflow's own checkpoint name stands."""
    out = tmp_path / "walk.mp4"
    for options in (render.RenderOptions(base=tmp_path), render.RenderOptions(base=tmp_path, ray="auto")):
        with pytest.raises(ValueError, match="no --checkpoint: name the .safetensors checkpoint"):
            render.check_before_boot(render.DEFAULT_WORKFLOW, out, options, local=not options.ray)
    servers = render.RenderOptions(base=tmp_path, servers=("http://gpu1:8188",))
    assert render.check_before_boot(render.DEFAULT_WORKFLOW, out, servers, local=False)["nodes"]
