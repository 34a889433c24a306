"""The Flux and Wan benchmark's arithmetic (benchmarks/family_speed.py): the batch that fits and the ratios."""

from benchmarks import family_speed


def test_the_batch_that_fits_follows_comfyuis_rule_for_loading_a_model_whole():
    """Flux dev in bf16 (22.2 GB of weights, 22.8 GB peak at one frame, 0.42 GB a frame more): its weights
    and ComfyUI's 1.2 GB minimum beside them (23.4 GB) plus the 1 GB context are more than 24 GB, so none
    fits whole there; on 48 GB, 1 + floor((48 - 1 - 23.4) / 0.42) = 57."""
    assert family_speed.fits(22.8, 22.2, 0.42) == {"24GB": 0, "48GB": 57, "80GB": 133}
    # a small model: one frame's peak (4.2 GB) is more than weights + minimum (2.6 + 1.2), so it counts
    assert family_speed.fits(4.2, 2.6, 1.24) == {"24GB": 16, "48GB": 35, "80GB": 61}


def test_ratios_compare_each_case_with_plain_sampling_of_its_weights():
    rows = [{"case": case, "weights": w, "decode": False, "frames_per_s": fps} for case, w, fps in [
        ("a_plain", "default", 2.0), ("b_seed_walk", "default", 1.9), ("c_per_prompt", "default", 1.0),
        ("d_fast", "default", 2.6), ("a_plain", "fp8_e4m3fn_fast", 2.4)]]
    assert family_speed.ratios(rows) == {
        "b_seed_walk / a_plain default decode=False": 0.95, "b_seed_walk / c_per_prompt default decode=False": 1.9,
        "d_fast / a_plain default decode=False": 1.3, "a_plain fp8_e4m3fn_fast / default decode=False": 1.2}
