"""The synthetic memecoin market: an agent-based, seeded, calibrated generator with ground truth.

``synthesize(out, tokens=..., wallets=..., days=..., seed=...)`` writes a lake (swaps, launches,
wallets_truth, tokens_truth). See ``docs/synthetic_market.md``.
"""

from memelab.datasets.synth.config import SCENARIOS, SynthConfig, scenario_config
from memelab.datasets.synth.generate import synthesize

__all__ = ["SCENARIOS", "SynthConfig", "scenario_config", "synthesize"]
