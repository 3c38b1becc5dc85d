"""The three gradient clipping rules of Keras optimizers, on lists of gradient tensors.

Each returns new tensors (the caller's gradients, often `param.grad`, are left as they were) and
keeps every value on the device: no norm is read back to the host to decide anything.
"""

import torch


def clip_by_norm(grads, clipnorm):
    """Scale each gradient separately so its L2 norm is at most `clipnorm`."""
    norms = torch._foreach_norm(grads)
    # g * c / max(||g||, c): unchanged when the norm is small, and a zero gradient stays zero.
    scales = [clipnorm / torch.clamp(norm, min=clipnorm) for norm in norms]
    return torch._foreach_mul(grads, scales)


def clip_by_global_norm(grads, clipnorm):
    """Scale all gradients together so the norm of their concatenation is at most `clipnorm`."""
    norms = torch._foreach_norm(grads)
    device = grads[0].device
    global_norm = torch.linalg.vector_norm(torch.stack([n.to(device) for n in norms]))
    scale = clipnorm * torch.minimum(1.0 / global_norm, torch.tensor(1.0 / clipnorm, device=device))
    # A non-finite norm poisons the scale with NaN on purpose (as Keras does), so a diverged step
    # shows up as NaN weights instead of being silently clipped to something finite.
    scale = scale + (global_norm - global_norm)
    return [grad * scale.to(grad.device, grad.dtype) for grad in grads]


def clip_by_value(grads, clipvalue):
    """Clip every gradient element to [-clipvalue, clipvalue]."""
    clipped = torch._foreach_clamp_min(grads, -clipvalue)
    torch._foreach_clamp_max_(clipped, clipvalue)
    return clipped
