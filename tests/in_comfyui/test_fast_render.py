"""Fast Walk Render in the real ComfyUI: on this CPU it falls back to the plain model, and says so."""

import logging
import types

import pytest
import torch

from scripts import host
from tests.in_comfyui import graphs


def fast_node(comfy):
    return comfy.node_class("MeanderFastRender")


def test_cpu_is_a_clear_fallback(comfy):
    module = host.pack_module("fast_render")
    reason = module.compile_unavailable(torch.device("cpu"))
    assert reason == "the model runs on cpu, and compiling only pays off on an NVIDIA GPU"


@pytest.mark.parametrize("mode", ["compile", "compile + CUDA graphs", "off"])
def test_every_mode_passes_the_model_and_vae_through_on_the_cpu(comfy, caplog, mode):
    model, vae = object(), object()
    with caplog.at_level(logging.WARNING):
        out = fast_node(comfy).execute(model=model, mode=mode, vae=vae)
    assert tuple(out.args if hasattr(out, "args") else out.result) == (model, vae)
    warned = [r.getMessage() for r in caplog.records if "Fast Walk Render" in r.getMessage()]
    assert warned == ([] if mode == "off" else [
        "Fast Walk Render (Meander): not compiling, the model runs on cpu, and compiling only pays off on an "
        "NVIDIA GPU; rendering with the plain model."])


def test_unknown_mode_names_the_choices(comfy):
    with pytest.raises(ValueError, match=r"mode must be one of compile, compile \+ CUDA graphs, off, got 'turbo'"):
        fast_node(comfy).execute(model=object(), mode="turbo")


def test_a_walk_through_the_fast_node_renders_the_plain_frames(comfy):
    """In a graph on the CPU: the same latents as without the node."""
    walk = {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": 11, "seed_b": 22, "frames": 3, "method": "slerp", "easing": "linear",
        "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": 0, "frame_count": 0}}
    plain = graphs.read_latent(comfy, comfy.run(graphs.custom_sampler(walk, ["4", 0], ["4", 1])))
    graph = graphs.custom_sampler(walk, ["4", 0], ["4", 1])
    graph["10"] = {"class_type": "MeanderFastRender", "inputs": {"model": ["1", 0], "mode": "compile"}}
    graph["5"]["inputs"]["model"] = ["10", 0]
    graph["7"]["inputs"]["model"] = ["10", 0]
    assert torch.equal(graphs.read_latent(comfy, comfy.run(graph)), plain)


def test_cudnn_benchmark_is_on_only_inside_the_compiled_models_calls(comfy):
    """The compiled model's calls run with cuDNN's benchmark mode; the process's setting is left as it was."""
    call = host.pack_module("fast_render").cudnn_benchmark_call
    before = torch.backends.cudnn.benchmark
    seen = call(lambda x: (x, torch.backends.cudnn.benchmark), 3)
    assert seen == (3, True) and torch.backends.cudnn.benchmark is before
    with pytest.raises(RuntimeError):
        call(lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert torch.backends.cudnn.benchmark is before


def test_the_compile_cache_is_kept_in_comfyuis_user_folder(comfy, monkeypatch):
    """With no folder of the user's, inductor's caches go to <user>/meander/torch_compile, which ComfyUI keeps."""
    module = host.pack_module("fast_render")
    monkeypatch.setenv(module.CACHE_ENV, module.default_cache_dir())  # what inductor writes on its first look
    path = module.persistent_compile_cache()
    expected = comfy.base / "user" / "meander" / "torch_compile"
    assert path == expected and path.is_dir()
    assert module.os.environ[module.CACHE_ENV] == str(expected)


def test_a_compile_cache_folder_of_the_users_own_is_left_alone(comfy, monkeypatch, tmp_path):
    module = host.pack_module("fast_render")
    monkeypatch.setenv(module.CACHE_ENV, str(tmp_path / "mine"))
    assert module.persistent_compile_cache() == tmp_path / "mine"
    assert module.os.environ[module.CACHE_ENV] == str(tmp_path / "mine")
    assert not (tmp_path / "mine").exists()  # inductor makes it when it first writes


def test_the_compiled_decoder_decodes_as_the_vae_and_leaves_the_vae_alone(comfy):
    """compiled_decoder_vae (here with dynamo's eager backend, which the CPU runs): the same pixels, the same
    weights and patcher, and the VAE given in keeps its own decode."""
    import folder_paths
    from comfy.sd import load_checkpoint_guess_config

    module = host.pack_module("fast_render")
    path = folder_paths.get_full_path_or_raise("checkpoints", graphs.TEST_CHECKPOINT)
    _, _, vae, _ = load_checkpoint_guess_config(path, output_vae=True, output_clip=False)
    fast = module.compiled_decoder_vae(vae, backend="eager")
    latent = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    pixels = vae.decode(latent)
    assert pixels.shape == (2, 64, 64, 3) and torch.equal(fast.decode(latent), pixels)
    assert fast is not vae and fast.patcher is vae.patcher
    assert fast.first_stage_model.decoder is vae.first_stage_model.decoder
    assert "decode" not in vae.first_stage_model.__dict__ and "decode" in fast.first_stage_model.__dict__


def test_a_video_vae_decoder_is_not_compiled(comfy):
    module = host.pack_module("fast_render")
    video_vae = types.SimpleNamespace(latent_dim=3)
    assert module.compiled_decoder_vae(video_vae) is video_vae


def norm_net() -> torch.nn.Module:
    """Conv -> GroupNorm -> SiLU -> conv -> GroupNorm without affine: a UNet's resblock in small."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(4, 64, 3, padding=1), torch.nn.GroupNorm(32, 64), torch.nn.SiLU(),
                               torch.nn.Conv2d(64, 64, 3, padding=1), torch.nn.GroupNorm(8, 64, affine=False)).eval()


def test_the_pass_swaps_every_group_norm_of_a_traced_graph(comfy):
    """GroupNormInLayout on the graph dynamo traces: both norms become meander::group_norm, none is left, and
    the graph computes what the module does."""
    backend = host.pack_module("fast_backend")
    graphs_seen = []

    def capture(gm, example_inputs):
        backend.GroupNormInLayout()(gm.graph)
        gm.recompile()
        graphs_seen.append(gm)
        return gm.forward

    net, x = norm_net(), torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out = torch.compile(net, backend=capture)(x)
        torch.testing.assert_close(out, net(x), atol=2e-5, rtol=1e-5)
    targets = [node.target for node in graphs_seen[0].graph.nodes if node.op == "call_function"]
    assert targets.count(torch.ops.meander.group_norm.default) == 2
    assert not set(targets) & {torch.group_norm, torch.nn.functional.group_norm}


def test_inductor_compiles_with_the_fast_options_on_the_cpu(comfy):
    """The options Fast Walk Render hands torch.compile, through inductor's C++ backend: eager's output,
    in the channels-last layout of the input."""
    net = norm_net().to(memory_format=torch.channels_last)
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(3))
    x = x.contiguous(memory_format=torch.channels_last)
    torch._dynamo.reset()
    with torch.no_grad():
        out = torch.compile(net, options=host.pack_module("fast_backend").inductor_options(), dynamic=False)(x)
        torch.testing.assert_close(out, net(x), atol=2e-5, rtol=1e-5)
    assert out.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize(("mode", "cuda_graphs"), [("compile", False), ("compile + CUDA graphs", True)])
def test_each_mode_compiles_with_the_group_norm_pass(comfy, monkeypatch, mode, cuda_graphs):
    """Where compiling is available, the model comes back with ComfyUI's compile wrapper set to inductor with
    the pass (and CUDA graphs for that mode); the model given in is left alone."""
    import folder_paths
    from comfy.sd import load_checkpoint_guess_config
    from comfy_api.torch_helpers.torch_compile import TORCH_COMPILE_KWARGS

    module = host.pack_module("fast_render")
    monkeypatch.setattr(module, "compile_unavailable", lambda device: None)
    path = folder_paths.get_full_path_or_raise("checkpoints", graphs.TEST_CHECKPOINT)
    model = load_checkpoint_guess_config(path, output_vae=False, output_clip=False)[0]
    out = fast_node(comfy).execute(model=model, mode=mode)
    patched = (out.args if hasattr(out, "args") else out.result)[0]
    kwargs = patched.model_options[TORCH_COMPILE_KWARGS]
    assert kwargs["backend"] == "inductor" and kwargs["dynamic"] is False and kwargs["mode"] is None
    assert isinstance(kwargs["options"]["pre_grad_custom_pass"], host.pack_module("fast_backend").GroupNormInLayout)
    assert kwargs["options"]["triton.cudagraphs"] is cuda_graphs
    assert TORCH_COMPILE_KWARGS not in model.model_options


@pytest.mark.parametrize(("family", "lists"), [("flux", {"double_blocks": 19, "single_blocks": 38}),
                                               ("wan", {"blocks": 30}), ("wan14b", {"blocks": 40})])
def test_a_transformer_is_compiled_block_by_block(comfy, family, lists):
    """Flux dev's and Wan 2.1's released networks (built on meta by ComfyUI's own detection) are compiled
    one block at a time, every block of every list; a UNet, whose blocks differ, is compiled whole."""
    import folder_paths
    from comfy.sd import load_checkpoint_guess_config

    from tools import make_models

    module = host.pack_module("fast_render")
    keys = module.compile_keys(make_models.diffusion_model(family, full=True))
    assert keys == [f"diffusion_model.{name}.{i}" for name, n in lists.items() for i in range(n)]
    path = folder_paths.get_full_path_or_raise("checkpoints", graphs.TEST_CHECKPOINT)
    unet = load_checkpoint_guess_config(path, output_vae=False, output_clip=False)[0]
    assert module.compile_keys(unet.get_model_object("diffusion_model")) == ["diffusion_model"]


def test_blocks_compiled_one_by_one_share_one_compile_and_sample_the_plain_latent(comfy, monkeypatch, caplog):
    """Fast Walk Render on a 4-block Wan (inductor's C++ backend on this CPU): the four blocks share their
    compiled graphs (at most two: the first block's input has other strides), with no graph break; the
    log names what it compiled, and the sampled latent is
    the plain model's within float rounding. Attention is PyTorch's, as on a GPU (ComfyUI's CPU default
    reads free memory inside the block, which dynamo cannot trace)."""
    import torch._dynamo.utils as dynamo_utils
    from comfy.ldm.modules.attention import attention_pytorch
    from comfy.ldm.wan import model as wan_model
    from comfy.sample import sample as comfy_sample
    from comfy.sd import load_diffusion_model_state_dict

    from tools import make_models

    probe = make_models._wan_probe(128, 256, 4)
    monkeypatch.setitem(make_models.FULL_PROBES, "wan_test", probe)
    monkeypatch.setitem(make_models.FULL_CLASSES, "wan_test", "WAN21_T2V")
    state = make_models._filled(make_models.diffusion_model("wan_test", full=True), seed=3, dtype=torch.float32)
    model = load_diffusion_model_state_dict(state, model_options={"dtype": torch.float32})
    module = host.pack_module("fast_render")
    monkeypatch.setattr(module, "compile_unavailable", lambda device: None)
    monkeypatch.setattr(wan_model, "optimized_attention", attention_pytorch)
    torch._dynamo.reset()
    dynamo_utils.counters.clear()
    with caplog.at_level(logging.INFO):
        fast = fast_node(comfy).execute(model=model, mode="compile")
    fast = (fast.args if hasattr(fast, "args") else fast.result)[0]
    assert "compiling WanModel block by block (4 blocks), one compile per kind of block" in caplog.text
    generator = torch.Generator().manual_seed(5)
    cond = [[torch.randn(1, 8, 4096, generator=generator), {}]]
    latent = torch.zeros(1, 16, 2, 4, 4)
    noise = torch.randn(latent.shape, generator=generator)

    def sample(m):
        return comfy_sample(m, noise, 2, 3.0, "euler", "simple", cond, cond, latent)

    plain, compiled = sample(model), sample(fast)
    assert dynamo_utils.counters["stats"]["unique_graphs"] <= 2 and not dynamo_utils.counters["graph_break"]
    assert torch.allclose(compiled, plain, rtol=1e-4, atol=1e-4 * float(plain.abs().max()))
    torch._dynamo.reset()
