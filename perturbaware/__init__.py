__version__ = "0.1.0"
"""perturbaware: perturbation-aware representation learning for in vivo CRISPR screens (Perturb-seq)."""

from .data import PerturbawareInputError, read_screen, preprocess, validate_screen, plot_qc
from .simulate import simulate_screen, plot_dose_response
from .guide import guide_prior, fuse, tau_schedule
from .nnnu import NNNUConfig, fit_nnnu, score_perturbations, screen_perturbations
from .wtest import rank_genes_weighted, weighted_welch
from .qhae import QHAEConfig, QuantileHurdleAE
