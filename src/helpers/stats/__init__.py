"""Pure statistics: no language, no plots, no reports; tidy pandas in and out.

Modules
-------
funnel   funnel-plot control limits (Spiegelhalter 2005) and over-dispersion (phi, tau²) estimated by
         additive random effects on winsorised z-scores (Spiegelhalter et al. 2012)
"""
