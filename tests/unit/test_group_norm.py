"""latent_ops.group_norm: GroupNorm per channel, in the input's layout (docs/SPEC.md, "Fast Walk Render")."""

import pytest
import torch

from latent_ops import group_norm


@pytest.mark.parametrize(("shape", "groups"), [((2, 64, 6, 5), 32), ((3, 12, 4, 3, 5), 4), ((2, 8, 10), 2),
                                               ((3, 8), 4)])
def test_group_norm_in_layout_is_torchs_group_norm(shape, groups):
    """Per-channel statistics combined by the law of total variance: torch's GroupNorm, with and without affine,
    as close to the float64 result as torch's own float32 GroupNorm, on inputs whose mean is far from zero
    (where a sum-of-squares variance would cancel)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen) * 3 + 50
    weight, bias = torch.randn(shape[1], generator=gen), torch.randn(shape[1], generator=gen)
    for affine in ((weight, bias, 1e-6), (None, None, 1e-5)):
        truth = torch.nn.functional.group_norm(x.double(), groups, *(a.double() if torch.is_tensor(a) else a
                                                                     for a in affine))
        ours = (group_norm.group_norm_in_layout(x, groups, *affine) - truth).abs().max()
        torchs = (torch.nn.functional.group_norm(x, groups, *affine) - truth).abs().max()
        assert ours <= 2 * torchs + 1e-6, (float(ours), float(torchs))


def test_group_norm_in_layout_keeps_float64():
    x = torch.randn(2, 6, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64) + 1e4
    out = group_norm.group_norm_in_layout(x, 3)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, torch.nn.functional.group_norm(x, 3), atol=1e-9, rtol=1e-9)


def test_group_norm_in_layout_keeps_channels_last_and_the_dtype():
    x = torch.randn(2, 64, 8, 8, generator=torch.Generator().manual_seed(1)).to(torch.bfloat16)
    x = x.contiguous(memory_format=torch.channels_last)
    out = group_norm.group_norm_in_layout(x, 32)
    assert out.dtype == torch.bfloat16 and out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, torch.nn.functional.group_norm(x.float(), 32).to(torch.bfloat16))
