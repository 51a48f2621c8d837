"""Figures of the analysis (matplotlib, Agg): heatmaps, layer profiles, contact maps, top heads."""
