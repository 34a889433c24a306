"""Analysis, re-timing and audio nodes in the real ComfyUI: direct calls and small real graphs."""

import json

import av
import pytest
import torch

from latent_ops import audio, interpolate, metrics, noise, retime, schedule
from scripts import host
from scripts.host import REPO, GraphError
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from tools.make_checkpoint import make_clip_vision


def result_of(out):
    return out.args if hasattr(out, "args") else out.result


def walk_latent(frames=6, method="slerp") -> dict:
    a, b = noise.seed_noise(1, (1, 4, 8, 8)), noise.seed_noise(2, (1, 4, 8, 8))
    return {"samples": interpolate.interpolate(a, b, schedule.frame_times(frames), method)}


def colour(comfy_chart, rgb) -> int:
    """Pixels of the chart (1, H, W, 3) whose colour is `rgb` (0..255)."""
    target = torch.tensor(rgb, dtype=torch.float32) / 255
    return int(((comfy_chart[0] - target).abs().max(dim=-1).values < 1e-3).sum())


def test_metrics_node_reports_the_figures_and_draws_both_walks(comfy):
    node = comfy.node_class("MeanderWalkMetrics")
    slerp, lerp = walk_latent(), walk_latent(method="lerp")
    before = slerp["samples"].clone()
    text, chart, cv, score = result_of(node.execute(latent=slerp, compare_latent=lerp))
    figures = json.loads(text)
    assert figures["walk"] == json.loads(json.dumps(metrics.walk_metrics(slerp["samples"])))
    assert figures["compare"]["frame_std"][3] < 0.8 * figures["compare"]["frame_std"][0]
    assert cv == figures["walk"]["step_cv"] and cv < 0.05
    assert score == 0.0 and "interp_score" not in figures["walk"]  # not scored without CLIP
    assert chart.shape[0] == 1 and chart.shape[-1] == 3 and chart.dtype == torch.float32
    assert torch.equal(slerp["samples"], before)


def test_metrics_chart_has_one_colour_per_walk(comfy):
    plot = host.pack_module("plot")
    node = comfy.node_class("MeanderWalkMetrics")
    _, alone, _, _ = result_of(node.execute(latent=walk_latent()))
    _, both, _, _ = result_of(node.execute(latent=walk_latent(), compare_latent=walk_latent(method="lerp")))
    assert colour(alone, plot.PALETTE[0]) > 50 and colour(alone, plot.PALETTE[1]) == 0
    assert colour(both, plot.PALETTE[1]) > 50


def test_metrics_node_errors_name_the_input(comfy):
    node = comfy.node_class("MeanderWalkMetrics")
    with pytest.raises(ValueError, match="connect the walk's frames to images"):
        node.execute()
    with pytest.raises(ValueError, match="walk: connect either images or latent, not both"):
        node.execute(images=torch.zeros(2, 8, 8, 3), latent=walk_latent())
    with pytest.raises(ValueError, match="walk has 1 frame"):
        node.execute(images=torch.zeros(1, 8, 8, 3))


def test_metrics_in_a_real_graph_measure_image_distance(comfy):
    """Two solid frames, black and red: one step of RMS distance sqrt(1/3), std 0 and sqrt(2/9)."""
    graph = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 0}},
        "2": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 0xFF0000}},
        "3": {"class_type": "ImageBatch", "inputs": {"image1": ["1", 0], "image2": ["2", 0]}},
        "4": {"class_type": "MeanderWalkMetrics", "inputs": {"images": ["3", 0]}},
    }
    ui = comfy.run(graph).outputs["4"]
    figures = json.loads(ui["text"][0])["walk"]
    assert figures["step_distance"] == pytest.approx([3 ** -0.5])
    assert figures["frame_std"] == pytest.approx([0.0, (2 / 9) ** 0.5])
    assert figures["loop_seam_ratio"] == pytest.approx(1.0)
    assert len(ui["images"]) == 1


def test_interp_score_through_comfyuis_clip_loaders(comfy):
    """CLIPVisionLoader (a random ViT-L/14) and the checkpoint's CLIP-L score each decoded frame as
    max(100 cos, 0) against the prompt; their mean is the interp_score output."""
    from comfy.clip_vision import load as load_clip_vision

    vision = REPO / ".cache" / "meander-test-clip-vision-vitl.safetensors"
    make_clip_vision(vision)
    link = comfy.base / "models" / "clip_vision" / vision.name
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(vision)
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": TEST_CHECKPOINT}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": vision.name}},
        "3": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1, "color": 0x204080}},
        "4": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1, "color": 0xE0C020}},
        "5": {"class_type": "ImageBatch", "inputs": {"image1": ["3", 0], "image2": ["4", 0]}},
        "6": {"class_type": "MeanderWalkMetrics", "inputs": {
            "images": ["5", 0], "clip_vision": ["2", 0], "clip": ["1", 1], "score_prompt": "a blue and yellow card"}},
    }
    figures = json.loads(comfy.run(graph).outputs["6"]["text"][0])["walk"]
    clip = comfy.node_class("CheckpointLoaderSimple")().load_checkpoint(TEST_CHECKPOINT)[1]
    with torch.inference_mode():
        _, text = clip.encode_from_tokens(clip.tokenize("a blue and yellow card"), return_pooled=True)
        empty_image = comfy.node_class("EmptyImage")()
        images = torch.cat([empty_image.generate(32, 32, 1, c)[0] for c in (0x204080, 0xE0C020)])
        embeds = load_clip_vision(str(vision)).encode_image(images)["image_embeds"]
    expected = metrics.clip_scores(text.float(), embeds.float())
    assert figures["clip_score"] == pytest.approx(expected.tolist(), abs=1e-3)
    assert figures["interp_score"] == pytest.approx(float(expected.mean()), abs=1e-3)
    assert all(0.0 <= s <= 100.0 for s in figures["clip_score"])


def test_trajectory_plot_draws_every_walk_and_refuses_other_shapes(comfy):
    node = comfy.node_class("MeanderTrajectoryPlot")
    (chart,) = result_of(node.execute(walk_1=walk_latent(), walk_2=walk_latent(method="lerp"), labels="slerp, lerp"))
    assert chart.shape == (1, 512, 512, 3)
    plot = host.pack_module("plot")
    assert colour(chart, plot.PALETTE[0]) > 50 and colour(chart, plot.PALETTE[1]) > 50
    other = {"samples": torch.zeros(3, 4, 8, 16)}
    with pytest.raises(ValueError, match=r"walk_2 has frames of shape \(4, 8, 16\) but walk_1 has \(4, 8, 8\)"):
        node.execute(walk_1=walk_latent(), walk_2=other, labels="")


def test_even_retime_node_is_the_even_warp_of_the_render(comfy):
    node = comfy.node_class("MeanderEvenRetime")
    images = torch.linspace(0, 1, 5).reshape(5, 1, 1, 1).pow(3).expand(5, 4, 4, 3).contiguous()
    (warp,) = result_of(node.execute(strength=1.0, images=images))
    expected = retime.even_warp(metrics.step_distances(images))
    assert torch.equal(warp.u, expected.u) and torch.equal(warp.t, expected.t)
    (half,) = result_of(node.execute(strength=0.5, images=images))
    assert torch.allclose(half.t, (expected.u + expected.t) / 2)
    with pytest.raises(ValueError, match="render at least 2"):
        node.execute(strength=1.0, images=images[:1])


def test_timed_walk_keeps_the_keyframes_and_follows_the_warp(comfy):
    """Frame 0 and the last are the seeds' noise exactly; a click track's beat frame is the big step."""
    pacing = comfy.node_class("MeanderAudioPacing")
    click = {"waveform": audio.click_track(120, 1.0, 8000), "sample_rate": 8000}
    warp, frames = result_of(pacing.execute(audio=click, fps=24.0, feature="onsets", floor=0.1, decay_frames=0.0))
    assert frames == 24
    walk = comfy.node_class("MeanderTimedSeedWalk")
    walk_noise, latent = result_of(walk.execute(time_warp=warp, seed_a=3, seed_b=4, frames=frames, method="slerp",
                                                width=64, height=64, start_frame=0, frame_count=0))
    z = walk_noise.generate_noise(latent)
    assert z.shape == (24, 4, 8, 8)
    assert torch.equal(z[0], noise.seed_noise(3, (4, 8, 8))) and torch.equal(z[-1], noise.seed_noise(4, (4, 8, 8)))
    steps = metrics.step_distances(z)
    assert int(steps.argmax()) == 11  # the step into frame 12, the second beat
    part_noise, part_latent = result_of(walk.execute(time_warp=warp, seed_a=3, seed_b=4, frames=frames,
                                                     method="slerp", width=64, height=64, start_frame=10,
                                                     frame_count=4))
    assert torch.equal(part_noise.generate_noise(part_latent), z[10:14])


def test_audio_pacing_refuses_audio_shorter_than_two_frames(comfy):
    pacing = comfy.node_class("MeanderAudioPacing")
    short = {"waveform": torch.zeros(1, 1, 100), "sample_rate": 8000}
    with pytest.raises(ValueError, match="a paced walk needs at least 2"):
        pacing.execute(audio=short, fps=24.0, feature="energy", floor=0.1, decay_frames=0.0)


def test_create_video_muxes_the_click_track(comfy):
    """Click track -> pacing frames -> that many images -> core CreateVideo with the audio -> mp4 with
    an audio stream as long as the video (no sampling: solid frames)."""
    graph = {
        "1": {"class_type": "MeanderClickTrack", "inputs": {"bpm": 120.0, "seconds": 0.5, "sample_rate": 44100}},
        "2": {"class_type": "MeanderAudioPacing", "inputs": {"audio": ["1", 0], "fps": 24.0, "feature": "onsets",
                                                            "floor": 0.1, "decay_frames": 2.0}},
        "3": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": ["2", 1], "color": 255}},
        "4": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 24.0, "audio": ["1", 0]}},
        "5": {"class_type": "SaveVideo", "inputs": {"video": ["4", 0], "filename_prefix": "tests/audio_mux",
                                                   "format": "mp4", "codec": "h264"}},
    }
    from scripts.render import video_outputs

    (path,) = video_outputs(comfy.run(graph).outputs)
    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 1
        frames = list(container.decode(container.streams.video[0]))
    with av.open(str(path)) as container:
        samples = sum(f.samples for f in container.decode(container.streams.audio[0]))
    assert len(frames) == 12
    assert samples == pytest.approx(0.5 * 44100, abs=2048)


def test_click_track_node_is_comfyui_audio(comfy):
    (out,) = result_of(comfy.node_class("MeanderClickTrack").execute(bpm=60.0, seconds=1.0, sample_rate=8000))
    assert out["sample_rate"] == 8000 and out["waveform"].shape == (1, 1, 8000)
    with pytest.raises(GraphError, match="seconds"):
        comfy.run({"1": {"class_type": "MeanderClickTrack", "inputs": {"bpm": 60.0, "seconds": 0.0,
                                                                      "sample_rate": 8000}},
                   "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}})
