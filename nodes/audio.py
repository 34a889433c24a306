"""Audio-paced walks: frame times that follow the music's onsets or loudness."""

from __future__ import annotations

from ..latent_ops import audio as audio_ops
from ..latent_ops import retime
from .comfy import io, schema
from .common import warp_output
from .validate import check_finite


class MeanderAudioPacing(io.ComfyNode):
    """A time warp from an AUDIO's onsets or energy, and the frame count that covers the audio."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderAudioPacing",
            search_aliases=["latent walk", "music", "audio reactive"],
            display_name="Audio Pacing (Meander)",
            category="latent/meander/timing",
            description="Makes a walk move with the music: for each video frame it measures the audio's onsets "
            "(spectral flux: jumps on beats) or energy (loudness), and outputs a time warp whose step into frame k "
            "is proportional to floor + (1 - floor) x feature_k, plus the number of frames at fps that covers the "
            "audio. Connect frames and time_warp to Timed Seed Walk Noise, and the same audio to CreateVideo.",
            inputs=[
                io.Audio.Input("audio", tooltip="The music (ComfyUI AUDIO: LoadAudio, which needs torchaudio, or "
                               "Click Track)."),
                io.Float.Input("fps", default=24.0, min=1.0, max=120.0, step=1.0,
                               tooltip="Frames per second of the video: use the same value in CreateVideo."),
                io.Combo.Input("feature", options=list(audio_ops.FEATURES), default="onsets",
                               tooltip="onsets: the walk jumps on beats and note starts. energy: the walk moves fast "
                               "while the music is loud."),
                io.Float.Input("floor", default=0.1, min=0.0, max=1.0, step=0.05,
                               tooltip="Speed in silence relative to the strongest frame: 0 stands still between "
                               "beats, 1 ignores the audio (linear timing)."),
                io.Float.Input("decay_frames", default=2.0, min=0.0, max=100.0, step=0.5,
                               tooltip="How many frames a beat keeps pushing the walk (exponential ring-out); 0 "
                               "moves only on the beat's own frame."),
            ],
            outputs=[
                warp_output("Frame times paced by the audio: connect to Timed Seed Walk Noise."),
                io.Int.Output(display_name="frames",
                              tooltip="Frames that cover the audio at fps (ceil(duration x fps)): connect to "
                              "the walk's frames."),
            ],
        )

    @classmethod
    def execute(cls, audio: dict, fps: float, feature: str, floor: float, decay_frames: float) -> io.NodeOutput:
        waveform = audio["waveform"]
        rate = int(audio["sample_rate"])
        if rate <= 0:
            raise ValueError(f"audio has a sample_rate of {rate}: load the audio with LoadAudio (or Click Track), "
                             "whose sample rate is > 0")
        check_finite("audio", waveform, "the waveform is damaged: load the file again or convert it to WAV")
        frames = audio_ops.frame_count(waveform.shape[-1], rate, fps)
        if frames < 2:
            raise ValueError(f"audio is {waveform.shape[-1] / rate:.3f} s: at {fps} fps that is {frames} frame; "
                             "a paced walk needs at least 2 (use longer audio or a higher fps)")
        speeds = audio_ops.frame_speeds(waveform, rate, fps, frames, feature, floor, decay_frames)
        return io.NodeOutput(retime.paced_warp(speeds), frames)


class MeanderClickTrack(io.ComfyNode):
    """A metronome AUDIO, to try audio pacing without loading a file."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderClickTrack",
            search_aliases=["metronome", "click track"],
            display_name="Click Track (Meander)",
            category="latent/meander/timing",
            description="A metronome: a short 1 kHz click on every beat at the given tempo. Use it to try audio-paced "
            "walks without an audio file (ComfyUI's LoadAudio needs torchaudio), or as a beat grid.",
            inputs=[
                io.Float.Input("bpm", default=120.0, min=1.0, max=600.0, step=1.0, tooltip="Beats per minute."),
                io.Float.Input("seconds", default=4.0, min=0.05, max=3600.0, step=0.05,
                               tooltip="Length of the audio in seconds."),
                io.Int.Input("sample_rate", default=44100, min=8000, max=192000,
                             tooltip="Samples per second of the audio."),
            ],
            outputs=[io.Audio.Output(display_name="audio", tooltip="Mono click track (ComfyUI AUDIO).")],
        )

    @classmethod
    def execute(cls, bpm: float, seconds: float, sample_rate: int) -> io.NodeOutput:
        waveform = audio_ops.click_track(bpm, seconds, sample_rate)
        if waveform.shape[-1] < 1:
            raise ValueError(f"seconds x sample_rate must give at least one sample, got {seconds} x {sample_rate}")
        return io.NodeOutput({"waveform": waveform, "sample_rate": sample_rate})
