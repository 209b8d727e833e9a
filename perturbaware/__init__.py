__version__ = "0.1.0"
"""perturbaware: perturbation-aware representation learning for in vivo CRISPR screens (Perturb-seq)."""

from ._core import PerturbawareInputError, CONTROL, result_keys
from .data import read_screen, preprocess, validate_screen, plot_qc
from .simulate import simulate_screen, simulate_preprocessed, plot_dose_response
from .evaluate import auroc, expected_calibration_error, marginal_fidelity, probe_auroc, truth_metrics, selection_metrics
from .guide import guide_prior, fuse, tau_schedule
from .nnnu import NNNUConfig, fit_nnnu, predict_logits, score_perturbations, screen_perturbations
from .wtest import rank_genes_weighted, weighted_welch
from .qhae import QHAEConfig, QuantileHurdleAE
from .loop import FitConfig, LoopConfig, TestConfig, run_loop, plot_rounds
from .model import PerturbawareModel, fit
