"""Flow mechanics of the synthetic market: per-token alpha flow and the second attention wave."""

from __future__ import annotations

import math

import numpy as np
import pytest
from memelab.datasets.synth import SynthConfig, scenario_config, synthesize
from memelab.datasets.synth.market_nb import attention_nb

ALPHA = SynthConfig().replace(alpha_per_token=6.0, alpha_noise_per_token=0.0, p_revival=0.0)


def _alpha_buyers_per_qualifying_token(lake) -> np.ndarray:
    df = lake.sql(
        f"""
        select t.mint_id, count(distinct s.trader_id) as n
        from tokens_truth t
        left join (
            select s.mint_id, s.trader_id from swaps s join wallets_truth w
              on w.wallet_id = s.trader_id
            where s.side = 1 and w.kind = 'alpha'
        ) s using (mint_id)
        where t.quality >= {ALPHA.alpha_quality_min} and t.fate != 'honeypot'
        group by t.mint_id
        """
    )
    return df["n"].to_numpy(dtype=float)


@pytest.mark.parametrize("wallets", [2_000, 8_000])
def test_alpha_buyers_per_good_token_follow_the_knob_whatever_the_wallet_count(tmp_path, wallets):
    # 20 or 80 alpha wallets: a per-wallet follow chance would give 4x more buyers per token on
    # the larger population; the knob is per token, so both average alpha_per_token
    lake = synthesize(tmp_path / "l", tokens=300, wallets=wallets, days=1, seed=5, config=ALPHA)
    n = _alpha_buyers_per_qualifying_token(lake)
    assert len(n) >= 30
    assert abs(n.mean() - ALPHA.alpha_per_token) < 4.0 * math.sqrt(6.0 / len(n)) + 0.3


def test_attention_is_the_launch_wave_plus_a_later_wave_each_ramping_and_decaying():
    b0, tau, rev_t, rev_b, rev_tau, ramp = 2.0, 100.0, 500.0, 3.0, 50.0, 10.0
    # before the second wave: only the launch wave
    assert attention_nb(40.0, b0, tau, rev_t, rev_b, rev_tau, ramp) == pytest.approx(
        2.0 * math.exp(-0.4) * (1 - math.exp(-4.0)), rel=1e-12
    )
    # 20 s into the second wave
    expected = 2.0 * math.exp(-5.2) * (1 - math.exp(-52.0)) + 3.0 * math.exp(-0.4) * (
        1 - math.exp(-2.0)
    )
    assert attention_nb(520.0, b0, tau, rev_t, rev_b, rev_tau, ramp) == pytest.approx(expected)
    # the thinning bound (no ramp) is never below the rate, before and after the wave starts
    for age in np.linspace(0.0, 2000.0, 401):
        rate = attention_nb(age, b0, tau, rev_t, rev_b, rev_tau, ramp)
        assert rate <= attention_nb(age, b0, tau, rev_t, rev_b, rev_tau, 0.0)


def _late_retail_buys(lake) -> int:
    df = lake.sql(
        """
        select count(*) as n from swaps s join launches l using (mint_id)
        join wallets_truth w on w.wallet_id = s.trader_id
        where s.side = 1 and w.kind = 'retail' and s.ts - l.created_ts > 3600e9
        """
    )
    return int(df["n"].iloc[0])


def test_a_second_wave_brings_buyers_back_hours_after_launch(tmp_path):
    base = SynthConfig().replace(p_revival=0.0)
    waves = base.replace(p_revival=1.0, revival_mean_s=5400.0, revival_gain=1.0)
    quiet = synthesize(tmp_path / "a", tokens=150, wallets=1_000, days=1, seed=2, config=base)
    busy = synthesize(tmp_path / "b", tokens=150, wallets=1_000, days=1, seed=2, config=waves)
    assert _late_retail_buys(busy) > 3 * max(_late_retail_buys(quiet), 1)


def _retail_buys_per_wallet(lake) -> np.ndarray:
    df = lake.sql(
        """
        select count(*) as n from swaps s join wallets_truth w on w.wallet_id = s.trader_id
        where s.side = 1 and w.kind = 'retail' group by s.trader_id
        """
    )
    return df["n"].to_numpy(dtype=float)


def test_retail_activity_cap_bounds_how_much_busier_one_wallet_is_than_the_rest(tmp_path):
    # cap 1: every retail wallet equally likely (Poisson counts); no cap: a Pareto(1.2) tail
    flat = scenario_config("planted", retail_activity_cap=1.0)
    wild = scenario_config("planted", retail_activity_cap=1e12)
    a = synthesize(tmp_path / "a", tokens=150, wallets=1_000, days=1, seed=4, config=flat)
    b = synthesize(tmp_path / "b", tokens=150, wallets=1_000, days=1, seed=4, config=wild)
    even, heavy = _retail_buys_per_wallet(a), _retail_buys_per_wallet(b)
    assert even.max() / np.median(even) < 3.0
    assert heavy.max() / np.median(heavy) > 30.0
    with pytest.raises(ValueError, match="retail_activity_cap"):
        SynthConfig().replace(retail_activity_cap=0.5).validate()


def _bundle_sold_share(lake) -> np.ndarray:
    """Per bundled token: tokens its bundle wallets sold / tokens they bought (creator excluded)."""
    df = lake.sql(
        """
        select s.mint_id,
               sum(case when s.side = -1 then s.token_amount else 0 end)
                 / sum(case when s.side = 1 then s.token_amount else 0 end) as sold
        from swaps s join launches l using (mint_id)
        join wallets_truth w on w.wallet_id = s.trader_id
        where w.kind = 'insider' and w.wallet != l.creator and s.side != 0
          and l.graduated_ts is not null and l.created_ts < 1735776000e9 - 21600e9
        group by s.mint_id
        having sum(case when s.side = 1 then s.token_amount else 0 end) > 0
        """
    )
    return df["sold"].to_numpy(dtype=float)


def test_a_bundle_keeps_a_share_of_its_tokens_unsold_only_when_asked(tmp_path):
    # bundled launches only (no rugs, honeypots or dev buys): the non-creator insiders buying
    # a token are its bundle; they dump everything, or keep a share ~ U(0, bundle_keep)
    base = SynthConfig().replace(p_bundled=0.3, p_rug=0.0, p_honeypot=0.0, p_dev_buy=0.0)
    kept = base.replace(bundle_keep=0.6)
    dump = base.replace(bundle_keep=0.0)
    all_out = synthesize(tmp_path / "a", tokens=120, wallets=5_000, days=1, seed=6, config=dump)
    some = synthesize(tmp_path / "b", tokens=120, wallets=5_000, days=1, seed=6, config=kept)
    full, part = _bundle_sold_share(all_out), _bundle_sold_share(some)
    assert len(full) >= 15 and len(part) >= 15
    np.testing.assert_allclose(full, 1.0, rtol=1e-9)
    # one wallet drawn twice into a bundle sells its first kept share with its second sell
    assert part.min() >= 0.4 - 1e-9 and part.max() <= 1.0 + 1e-9
    assert np.median(part) < 0.85
