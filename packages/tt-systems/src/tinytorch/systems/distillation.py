"""Knowledge distillation (Hinton, Vinyals and Dean, 2015): a small student learns from a teacher.

The teacher's softened probabilities p_T = softmax(z_t / T) say more than the
label: which wrong classes look plausible ("this 7 looks a bit like a 1").
The student matches them at the same temperature T while still fitting the
labels:

    L = alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE(z_s, y)
    KL(p || q) = sum_c p_c (log p_c - log q_c),   q_T = softmax(z_s / T)

The T^2 keeps the soft term's gradients the same size as the hard term's
when T changes: d/dz_s of the KL at temperature T is (q_T - p_T) / T, and
there are two factors of 1/T in its magnitude.
"""

from __future__ import annotations

import numpy as np
from tinytorch.autograd import no_grad
from tinytorch.nn import Module
from tinytorch.nn.functional import cross_entropy, log_softmax
from tinytorch.tensor import Tensor


def soft_targets_kl(student_logits: Tensor, teacher_logits: Tensor, temperature: float) -> Tensor:
    """KL(softmax(z_t / T) || softmax(z_s / T)), averaged over the batch.

    The teacher is a constant: it gets no gradient.
    """
    # BEGIN SOLUTION
    teacher = (
        teacher_logits.data if isinstance(teacher_logits, Tensor) else np.asarray(teacher_logits)
    )
    scaled = teacher.astype(student_logits.dtype) / temperature
    shifted = scaled - scaled.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    p = np.exp(log_p)
    log_q = log_softmax(student_logits / temperature, dim=-1)
    dtype = student_logits.dtype
    kl_rows = Tensor(p * log_p, dtype=dtype).sum(axis=-1) - (log_q * Tensor(p, dtype=dtype)).sum(
        axis=-1
    )
    return kl_rows.mean()
    # END SOLUTION


def distillation_loss(
    student_logits: Tensor, teacher_logits, targets, temperature: float = 4.0, alpha: float = 0.7
) -> Tensor:
    """alpha * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) + (1 - alpha) * CE(z_s, y).

    Args:
        student_logits: (N, C), requires grad.
        teacher_logits: (N, C), a Tensor or array; treated as a constant.
        targets: (N,) integer class labels.
        temperature: T > 0; higher T softens both distributions.
        alpha: the weight of the soft term, in [0, 1].
    """
    if temperature <= 0:
        raise ValueError(f"distillation_loss: temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1], got {alpha}")
    if tuple(student_logits.shape) != tuple(
        np.shape(getattr(teacher_logits, "data", teacher_logits))
    ):
        raise ValueError(
            f"distillation_loss: student logits {tuple(student_logits.shape)} and teacher "
            f"logits {np.shape(getattr(teacher_logits, 'data', teacher_logits))} "
            "must have the same shape (N, C)"
        )
    # BEGIN SOLUTION
    soft = soft_targets_kl(student_logits, teacher_logits, temperature) * (alpha * temperature**2)
    hard = cross_entropy(student_logits, targets) * (1.0 - alpha)
    return soft + hard
    # END SOLUTION


def distill(
    student: Module,
    teacher: Module,
    loader,
    optimizer,
    epochs: int,
    temperature: float = 4.0,
    alpha: float = 0.7,
) -> list[float]:
    """Train ``student`` against ``teacher``'s logits; returns the mean loss per epoch.

    The teacher runs in eval mode without gradients; ``loader`` yields (inputs, targets).
    """
    # BEGIN SOLUTION
    teacher.eval()
    student.train()
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for inputs, targets in loader:
            with no_grad():
                teacher_logits = teacher(inputs).data
            loss = distillation_loss(student(inputs), teacher_logits, targets, temperature, alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        losses.append(total / max(batches, 1))
    student.eval()
    return losses
    # END SOLUTION
