""" "not this artist", one of the phrases the Tell box's replies suggested, was a plain skip: the speaker
has no artist to leave out.  Its reply now says it skips this track only, and the suggestions are
phrases the box acts on in full (moodspeaker_web.tell.EXAMPLES)."""

from __future__ import annotations

import pytest

from moodspeaker_web.tell import EXAMPLES, interpret


@pytest.mark.parametrize("text", EXAMPLES)
def test_every_suggestion_is_acted_on_in_full(text: str) -> None:
    meaning = interpret(text, volume=0.5, strategy="match")
    assert meaning.understood, meaning
    assert not any(word in meaning.reply for word in ("cannot", "can't", "only")), meaning


@pytest.mark.parametrize("text", ["not this artist", "I don't like this band", "no more of this singer"])
def test_an_artist_disliked_is_a_skip_of_this_track_said_so(text: str) -> None:
    meaning = interpret(text)
    assert [a.command for a in meaning.actions] == ["dislike"], meaning
    assert "this track only" in meaning.reply and "cannot leave out an artist" in meaning.reply, meaning
    assert "not this artist" not in EXAMPLES
