"""Models layer: building and training the estimator, scoring with it, saving it safely."""
