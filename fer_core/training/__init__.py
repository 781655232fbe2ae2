"""Training, evaluation and export of the emotion models (TensorFlow; never imported when serving).

    python -m fer_core.training.train      data, augmentation, network, resumable training
    python -m fer_core.training.ensemble   members -> one calibrated LiteRT graph (the Accurate model)
    python -m fer_core.training.distill    a small student of the ensemble (the Fast model)
    python -m fer_core.training.evaluate   PrivateTest metrics and the model card
    python -m fer_core.training.export     Keras model -> LiteRT file
"""
