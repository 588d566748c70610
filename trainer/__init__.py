"""Train, evaluate and apply paragraph classifiers for news and web articles.

Two labels per paragraph: content vs boilerplate, and (for content) claim vs non-claim.
"""

__version__ = "0.1.0"
