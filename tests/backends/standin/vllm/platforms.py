"""The stand-in's platform: vllm.platforms.current_platform."""

from __future__ import annotations

import os


class _Platform:
    device_control_env_var = "CUDA_VISIBLE_DEVICES"

    @property
    def device_type(self) -> str:
        return os.environ.get("STANDIN_VLLM_DEVICE", "cpu")

    def get_device_name(self, index: int = 0) -> str:
        return "Stand-in GPU"


current_platform = _Platform()
