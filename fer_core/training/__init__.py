"""Training, evaluation and export of the emotion models (TensorFlow; never imported when serving).

    python -m fer_core.training.train      data, augmentation, network, resumable training
    python -m fer_core.training.evaluate   PrivateTest metrics and the model card
    python -m fer_core.training.export     Keras model -> LiteRT file
"""
