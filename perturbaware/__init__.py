__version__ = "0.1.0"
"""perturbaware: perturbation-aware representation learning for in vivo CRISPR screens (Perturb-seq)."""

from .data import PerturbawareInputError, read_screen, preprocess, validate_screen, plot_qc
from .simulate import simulate_screen, plot_dose_response
