"""The Tell box's reply once its commands were given: what the speaker refused is said as not done.

Why: the reply was written before the commands ran, so a refused one was still announced as done,
the refusal only added after it in brackets by the page: "Understood: camera on. (set_camera: the
camera was switched off at the speaker: press its button to switch it on)", with the camera off.
Now a refused command's note leaves the "Understood" part and the reply says it could not be done
and why: "Sorry, could not switch the camera on: the camera was switched off at the speaker: ...".
"""

from __future__ import annotations

from collections.abc import Mapping

from moodspeaker_web.tell import Action, Interpretation


def told(meaning: Interpretation, refused: Mapping[int, str]) -> str:
    """The reply to `meaning` once its actions ran, `refused` the reason of each refused one (by its
    index in `meaning.actions`: the speaker's CommandError)."""
    if not refused:
        return meaning.reply
    gone = [meaning.said[i] for i in refused]
    kept = [item for item in meaning.items if item not in gone]
    not_done = "; ".join(
        _not_done(meaning.actions[i], meaning.said[i], why) for i, why in sorted(refused.items())
    )
    parts = [f"Understood: {'; '.join(kept)}. But {not_done}." if kept else f"Sorry, {not_done}."]
    if meaning.answer:
        parts.append(meaning.answer)
    return " ".join(parts)


def _not_done(action: Action, note: str, why: str) -> str:
    """One refused action: what could not be done, and the speaker's reason (without its command's name)."""
    why = why.removeprefix(f"{action.command}: ")
    if action.command == "set_camera":
        return f"could not switch the camera {'on' if action.args.get('enabled') else 'off'}: {why}"
    return f"not done ({note}): {why}"
