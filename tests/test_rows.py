"""The prediction frame holds the same rows as the dataset's row dicts."""

from pathlib import Path

import pandas as pd
from hypothesis import given, settings, strategies as st

from trainer.rows import COLUMNS, article_rows, articles_frame
from trainer.segment import segment

FIXTURES = Path(__file__).parent / "fixtures" / "predict"
PAGES = [segment(path.read_bytes(), name=path.name)
         for path in sorted(FIXTURES.glob("*.html"))]

lines = st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30), max_size=6)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(lines.map("\n".join), max_size=4), pages=st.lists(st.sampled_from(PAGES),
                                                                        max_size=2))
def test_articles_frame_equals_the_rows_of_each_article(texts, pages):
    articles = [segment(text, "text") for text in texts] + pages
    frame = articles_frame(articles, source="predict")
    expected = pd.DataFrame.from_records(
        [row for i, article in enumerate(articles)
         for row in article_rows(article, source="predict", article_id=str(i), group=str(i))],
        columns=list(COLUMNS))
    assert list(frame.columns) == list(COLUMNS) and len(frame) == len(expected)
    for name in COLUMNS:
        assert frame[name].tolist() == expected[name].tolist(), name
        if len(frame):  # pandas types no columns of an empty record list
            assert frame[name].dtype in (object, expected[name].dtype), name
    assert all(frame[name].dtype == object for name in ("text", "path", "article_id"))
