"""Milestone 03 on Fashion-MNIST: the same MLP on 28x28 photos of clothes (harder than digits).

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) has MNIST's format and split
(60,000 / 10,000 grey 28x28 images, 10 classes) but T-shirts, trousers,
sneakers and bags instead of digits. Debian's ``dataset-fashion-mnist``
package installs it in /usr/share/datasets/fashion-mnist/ (or pass
--data-dir). Network and training as in mlp_mnist.py.

Run:  python milestones/03_1986_mlp_revival/mlp_fashion_mnist.py [--quick]
"""

from __future__ import annotations

import sys

from mlp_mnist import run
from tinytorch.optim.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

if __name__ == "__main__":
    sys.exit(run(__file__, "fashion_mnist", "Fashion-MNIST", load_fashion_mnist,
                 class_names=FASHION_MNIST_CLASSES))
