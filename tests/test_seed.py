"""The seed tutorial's worked example is the first test of the arithmetic contract."""
import pytest

import fastgd
from fastgd.demo import seed_script

# What the seed's own script prints (../shared/seed/README.md, section 3).
SEED_W1 = 2.188697138503384
SEED_W2 = 2.753474684969485
SEED_W3 = 4.060020789555843
SEED_FINAL_LOSS = 9.982101075760426e-05


def test_seed_script_transcription_prints_the_published_weights():
    w1, w2, w3, losses = seed_script()
    assert (w1, w2, w3) == (SEED_W1, SEED_W2, SEED_W3)
    assert len(losses) == 50 and losses[-1] == SEED_FINAL_LOSS


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_seed_weights_exactly(seed, backend):
    X, y, settings = seed
    result = fastgd.fit(X, y, backend=backend, **settings)
    assert result.n_epochs == 50
    assert result.converged and not result.diverged
    assert result.coef.tolist() == [SEED_W1, SEED_W2]
    assert result.intercept == SEED_W3
    assert result.loss_history[-1] == SEED_FINAL_LOSS
    assert result.loss_history[-2] >= 1e-4


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_seed_loss_history_matches_the_script_epoch_by_epoch(seed, backend):
    """Every epoch's mean loss agrees with the script's (r*r and the script's
    r**2 happen to round alike on these 5000 residuals)."""
    X, y, settings = seed
    *_, script_losses = seed_script()
    result = fastgd.fit(X, y, backend=backend, **settings)
    assert result.loss_history.tolist() == script_losses
