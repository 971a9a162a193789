#!/usr/bin/python3
"""Writes the TorchScript models and the preprocessing script the inference workloads use.

Offline and deterministic: torchvision's architectures with random weights (seeded), traced on
the shapes the workload sends (batch x 3 x H x W after preprocessing). Timing, not accuracy.

    /usr/bin/python3 scripts/make_models.py OUTPUT_DIR

writes OUTPUT_DIR/{resnet50,resnet18,tiny_cnn}.pt and OUTPUT_DIR/data_processing_script.txt,
each only when missing or older than this script.
"""

import os
import sys
import time

import torch
import torchvision

PREPROCESSING = '''\
def pre_process_3ch(image):
    """uint8 or float images, HxWx3 or NxHxWx3 -> float32 Nx3xHxW, ImageNet-normalised."""
    x = image.float().div(255.0)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    x = x.permute(0, 3, 1, 2)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def pre_process_4ch(image):
    """As pre_process_3ch, dropping a fourth (alpha) channel first."""
    return pre_process_3ch(image[..., :3])


def post_process(output):
    """Index of the largest score of each row."""
    return output.max(1)[1]
'''


class TinyCnn(torch.nn.Module):
    """A small image classifier (3 convolutions, 10 classes) for tests and batching studies."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 64, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1))
        self.classifier = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def trace(model, size, path):
    """Traces `model` on a batch-1 input of size x size and checks it at batch 4."""
    model.eval()
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.rand(1, 3, size, size))
        out = traced(torch.rand(4, 3, size, size))
    assert out.shape[0] == 4, f"{path}: traced model does not take other batch sizes"
    tmp = path + ".tmp"
    traced.save(tmp)
    os.replace(tmp, path)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    stamp = os.path.getmtime(__file__)
    torch.manual_seed(0)
    jobs = [
        ("resnet50.pt", lambda: torchvision.models.resnet50(weights=None), 224),
        ("resnet18.pt", lambda: torchvision.models.resnet18(weights=None), 224),
        ("tiny_cnn.pt", TinyCnn, 32),
    ]
    for name, build, size in jobs:
        path = os.path.join(out, name)
        if os.path.exists(path) and os.path.getmtime(path) >= stamp:
            continue
        start = time.time()
        torch.manual_seed(0)
        trace(build(), size, path)
        print(f"make_models: {path} ({os.path.getsize(path) / 1e6:.1f} MB, "
              f"{time.time() - start:.1f} s)")
    script = os.path.join(out, "data_processing_script.txt")
    torch.jit.CompilationUnit(PREPROCESSING)  # fails here, not in a database rank, if broken
    with open(script + ".tmp", "w", encoding="utf-8") as f:
        f.write(PREPROCESSING)
    os.replace(script + ".tmp", script)
    return 0


if __name__ == "__main__":
    sys.exit(main())
