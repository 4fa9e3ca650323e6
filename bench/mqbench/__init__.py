# SPDX-License-Identifier: MIT
"""mqchat benchmark suite, driven by bench/run."""
