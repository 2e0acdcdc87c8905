"""Story d: a dialogue by video message. The participant sends a real WebM, recorded in the browser itself; the
mediator approves it; the other participant opens it and it plays."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality

# About a second of a moving picture drawn on a canvas, recorded with MediaRecorder, returned as base64.
RECORD_WEBM = """async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 320; canvas.height = 240;
  document.body.append(canvas);
  const ctx = canvas.getContext('2d');
  let frame = 0;
  const draw = () => {
    ctx.fillStyle = `hsl(${(frame * 15) % 360}, 70%, 45%)`;
    ctx.fillRect(0, 0, 320, 240);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect((frame * 9) % 300, 110, 20, 20);
    frame += 1;
  };
  draw();
  const timer = setInterval(draw, 40);
  const type = ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm']
    .find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(canvas.captureStream(25), {mimeType: type});
  const chunks = [];
  recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start(100);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  canvas.remove();
  const bytes = new Uint8Array(await new Blob(chunks, {type: 'video/webm'}).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}"""

PLAYING = """(video) => video.readyState >= 2 && (video.videoWidth > 0 || video.duration > 0)
                       && (video.currentTime > 0 || video.ended)"""


def record_webm(page: Page, target: Path) -> Path:
    target.write_bytes(base64.b64decode(page.evaluate(RECORD_WEBM)))
    assert target.read_bytes()[:4] == b"\x1a\x45\xdf\xa3", "not a WebM (EBML) file"
    assert target.stat().st_size > 1000, f"only {target.stat().st_size} bytes were recorded"
    return target


def test_a_video_message_recorded_in_the_browser_is_delivered_and_plays(people: People, live_app: LiveApp,
                                                                        tmp_path: Path) -> None:
    case = live_app.dialogue_case(Modality.VIDEO)
    harmed, offender = people.participant(case.harmed), people.participant(case.offender)

    harmed.messages()
    assert harmed.status() == "The dialogue is under way by video messages, through the mediator."
    video = record_webm(harmed.page, tmp_path / "message.webm")
    form = harmed.page.locator("section[aria-labelledby=video] form")
    form.get_by_label("Video file (MP4 or WebM)").set_input_files(video)
    harmed.submit(form.get_by_role("button", name="Send to my mediator"))
    assert "Your video was sent to the mediator" in harmed.flash()
    card = harmed.page.locator("section[aria-labelledby=sent] article.card").filter(has_text="Video message")
    expect(card.locator(".status")).to_have_text("waiting for the mediator")
    harmed.screenshot("messages-video")

    mediator = people.mediator()
    mediator.messages(case.reference)
    submitted = mediator.message("video")
    assert mediator.message_state(submitted) == "submitted"
    expect(submitted.locator("video")).to_have_count(1)
    mediator.approve(submitted)
    assert mediator.message_state(mediator.message("video")) == "delivered"

    offender.messages()
    expect(offender.received()).to_have_count(1)
    expect(offender.received().first).to_contain_text("Video message")
    offender.open_received(0)
    player = offender.page.locator("main video")
    expect(player).to_have_count(1)
    player.evaluate("(video) => { video.muted = true; return video.play(); }")
    offender.page.wait_for_function(PLAYING, arg=player.element_handle(), timeout=15_000)
    size = player.evaluate("(video) => [video.videoWidth, video.videoHeight]")
    assert size == [320, 240], size
    offender.screenshot("message-video")

    harmed.messages()
    expect(card.locator(".status")).to_have_text("delivered")  # read receipts are off unless the mediator turns them on
