"""The learned scorer: pair features, the gradient-boosted model, its training and explanations."""
