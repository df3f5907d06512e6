#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the generated part of the fuzz seed corpora (tests/fuzz/corpus/<harness>/seed_*).

Seeds are small, valid-looking inputs that start each fuzzer deep inside its surface: real audio
containers of every kind the reader supports, model files the parser accepts, detector programs
that run whole calls. Regression inputs (crash-*, leak-*, timeout-*, regress-*) are added by hand
next to them and are never rewritten by this script.

    /usr/bin/python3 tests/fuzz/make_seeds.py      # needs sox for the audio seeds
"""
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)


# ---- fuzz_model: model files in the format of libamd/src/core/model.h ----

def feature_count():
    src = open(os.path.join(ROOT, "libamd/src/core/model_features.h")).read()
    body = src[src.index("typedef enum amdi_feat_id {"):src.index("AMDI_FEAT_COUNT\n")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return len(re.findall(r"\bAMDI_F_[A-Z0-9_]+\b", body))


def feature_version():
    src = open(os.path.join(ROOT, "libamd/src/core/model_features.h")).read()
    return int(re.search(r"#define AMDI_FEAT_VERSION (\d+)", src).group(1))


def model_file(nf, nh, desc, params, fver, scale=1.0):
    pay = struct.pack("<4H", nf, nh, 8, len(desc)) + desc
    pay += struct.pack("<8f", *params)
    pay += struct.pack("<%df" % nf, *[0.1 * i for i in range(nf)])       # mean
    pay += struct.pack("<%df" % nf, *[scale] * nf)                       # scale
    rows = nh if nh else 1
    for j in range(rows):
        pay += struct.pack("<%df" % nf, *[math.sin(i + j) for i in range(nf)])
    pay += struct.pack("<%df" % rows, *[0.5] * rows)
    if nh:
        pay += struct.pack("<%df" % nh, *[1.0 - 0.1 * j for j in range(nh)])
        pay += struct.pack("<f", -0.25)
    head = b"AMDM\r\n\x1a\n" + struct.pack("<HHII", 1, fver, len(pay), zlib.crc32(pay))
    return head + pay


def model_seeds():
    nf, fv = feature_count(), feature_version()
    params = [0.9, 0.1, 800.0, 1500.0, 0.7, 1000.0, 0.0, 0.0]
    seeds = {
        "logistic": model_file(nf, 0, b"seed logistic", params, fv),
        "hidden4": model_file(nf, 4, b"seed mlp 4", params, fv),
        "hidden32": model_file(nf, 32, b"", params, fv),
        # finite but extreme weights: the forward pass must not make NaN out of them
        "extreme": model_file(nf, 2, b"extreme", [1.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0], fv,
                              scale=3.0e38),
        "wrong_nf": model_file(nf + 1, 0, b"x", params, fv),
    }
    for name, data in seeds.items():
        # control byte 0: as is; 7: header fixed up by the harness (see fuzz_model.c)
        write("fuzz_model", name, b"\x00" + data)
        write("fuzz_model", name + "_fix", b"\x1f" + data)
    write("fuzz_model", "header_only", b"\x00" + seeds["logistic"][:20])
    default = os.path.join(ROOT, "models/default.amdm")
    if os.path.exists(default) and os.path.getsize(default) > 0:
        write("fuzz_model", "default_model", b"\x00" + open(default, "rb").read())
    # the VAD model (control bit 6): the embedded file as is and with the header fixed up
    vad = open(os.path.join(ROOT, "models/vad.amdv"), "rb").read()
    write("fuzz_model", "vad_model", b"\x40" + vad)
    write("fuzz_model", "vad_model_fix", b"\x47" + vad)


# ---- fuzz_audio_file: containers and raw input, 4-byte option prefix (see fuzz_audio_file.c) ----

def audio_seeds():
    tone = ["synth", "0.05", "sine", "440", "vol", "0.5"]
    files = {
        "wav_s16": (["-r", "8000", "-b", "16", "-e", "signed"], "wav"),
        "wav_ulaw": (["-r", "8000", "-e", "u-law"], "wav"),
        "wav_alaw": (["-r", "8000", "-e", "a-law"], "wav"),
        "wav_float": (["-r", "16000", "-e", "floating-point", "-b", "32"], "wav"),
        "wav_stereo": (["-r", "8000", "-b", "16", "-c", "2"], "wav"),
        "wav_gsm": (["-r", "8000", "-e", "gsm-full-rate"], "wav"),
        "wav_ima": (["-r", "8000", "-e", "ima-adpcm"], "wav"),
        "wav_u8": (["-r", "11025", "-b", "8", "-e", "unsigned"], "wav"),
        "wav_s24": (["-r", "48000", "-b", "24"], "wav"),
        "au_ulaw": (["-r", "8000", "-e", "u-law"], "au"),
        "aiff": (["-r", "8000", "-b", "16"], "aiff"),
        "flac": (["-r", "8000", "-b", "16"], "flac"),
        "ogg": (["-r", "8000"], "ogg"),
        "caf": (["-r", "8000", "-b", "16"], "caf"),
        "voc": (["-r", "8000", "-b", "16"], "voc"),
    }
    made = {}
    for name, (fmt, ext) in files.items():
        with tempfile.TemporaryDirectory() as td:
            out = os.path.join(td, "o." + ext)
            chans = [] if "-c" in fmt else ["-c", "1"]
            r = subprocess.run(["sox", "-R", "-D", "-n"] + fmt + chans + [out] + tone,
                               stderr=subprocess.DEVNULL)
            if r.returncode != 0 or not os.path.exists(out):
                print("make_seeds: sox cannot write %s, skipped" % name, file=sys.stderr)
                continue
            made[name] = open(out, "rb").read()
    for name, data in made.items():
        write("fuzz_audio_file", name, b"\x00\x00\x00\x01" + data)
        # the same through stdin (virtual I/O), reading one sample at a time
        write("fuzz_audio_file", name + "_stdin", b"\x44\x00\x00\x01" + data)
    wav = made.get("wav_s16")
    if wav:
        write("fuzz_audio_file", "wav_truncated", b"\x00\x00\x00\x01" + wav[: len(wav) // 2])
        write("fuzz_audio_file", "wav_header_only", b"\x00\x00\x00\x01" + wav[:44])
    stereo = made.get("wav_stereo")
    if stereo:
        write("fuzz_audio_file", "wav_stereo_ch2", b"\x10\x00\x00\x01" + stereo)
    # float WAV holding a NaN in its data
    fw = made.get("wav_float")
    if fw:
        i = fw.rindex(b"data") + 8
        write("fuzz_audio_file", "wav_float_nan",
              b"\x00\x00\x00\x01" + fw[:i + 40] + struct.pack("<f", float("nan")) + fw[i + 44:])
    # raw G.711 / s16 at 8 kHz (8000 / 6 = 1333 -> 0x0535), one and two channels
    ulaw = bytes((0x7F ^ (i * 37)) & 0xFF for i in range(800))
    write("fuzz_audio_file", "raw_ulaw", b"\x01\x35\x05\x02" + ulaw)
    write("fuzz_audio_file", "raw_alaw_2ch", b"\x02\x35\x05\x03" + ulaw)
    s16 = b"".join(struct.pack("<h", int(8000 * math.sin(i / 5.0))) for i in range(400))
    write("fuzz_audio_file", "raw_s16_odd", b"\x83\x35\x05\x02" + s16 + b"\x01")
    write("fuzz_audio_file", "not_audio", b"\x00\x00\x00\x01" + b"hello, this is not audio\n")


# ---- fuzz_detector: programs for the harness's little interpreter (see fuzz_detector.c) ----

def det_program(rate_sel, cfg_flags, fmt, ops, edits=b"\x00"):
    # rate byte < 200 picks from the table: 0 = 8 kHz, 2 = 12 kHz, 3 = 16 kHz, 8 = 48 kHz
    return bytes([rate_sel, cfg_flags]) + edits + bytes([fmt]) + ops


def gen(kind_op, f1, f2, db, ms, chunk, big=0):
    # op, f1 (u16 for tones, u16 80..400 range for buzz), f2 flag + f2, level, rng, ms, chunk, big
    out = bytes([kind_op]) + struct.pack("<H", f1)
    out += b"\x01" + struct.pack("<H", f2) if f2 else b"\x00"
    out += bytes([(db + 90) & 0xFF]) + b"\x11\x22\x33\x44" + struct.pack("<H", ms - 1)
    out += struct.pack("<H", chunk - 1) + bytes([0xFF if big else 0])
    return out


OP_RAW, OP_TONE, OP_BUZZ, OP_NOISE, OP_SIL, OP_POISON, OP_FINISH, OP_RESET, OP_CB = \
    0, 3, 4, 5, 6, 7, 8, 9, 10


def detector_seeds():
    cb = bytes([OP_CB | 0x30])           # event + frame callbacks on (op % 12 == 10)
    human = gen(OP_SIL, 0, 0, -90, 300, 160) + gen(OP_BUZZ, 40, 0, -12, 700, 80) + \
        gen(OP_SIL, 0, 0, -90, 3000, 4096)
    machine = gen(OP_BUZZ, 60, 0, -10, 4000, 320) + gen(OP_SIL, 0, 0, -90, 500, 1) + \
        gen(OP_TONE, 1000, 0, -6, 250, 160) + gen(OP_SIL, 0, 0, -90, 3000, 512)
    fax = gen(OP_TONE, 2100, 0, -10, 3000, 240)
    sit = gen(OP_TONE, 914, 0, -10, 280, 80) + gen(OP_TONE, 1371, 0, -10, 280, 80) + \
        gen(OP_TONE, 1777, 0, -10, 380, 80) + gen(OP_SIL, 0, 0, -90, 2000, 400)
    dual = gen(OP_BUZZ, 30, 0, -20, 2500, 100) + gen(OP_SIL, 0, 0, -90, 1300, 100) + \
        gen(OP_TONE, 440, 480, -8, 400, 33) + gen(OP_SIL, 0, 0, -90, 2000, 1000)
    noise = gen(OP_NOISE, 0, 0, -40, 6000, 1000)
    write("fuzz_detector", "human_s16", det_program(0, 0x00, 0, cb + human + bytes([OP_FINISH])))
    write("fuzz_detector", "human_float_16k", det_program(3, 0x00, 1, human))
    write("fuzz_detector", "machine_dme_ulaw", det_program(0, 0x01, 2, cb + machine))
    write("fuzz_detector", "machine_words_alaw", det_program(0, 0x04, 3, machine))
    write("fuzz_detector", "machine_dme_48k", det_program(8, 0x21, 1, cb + dual + bytes([OP_FINISH])))
    write("fuzz_detector", "fax_s16", det_program(0, 0x18, 0, fax))
    write("fuzz_detector", "sit_model", det_program(0, 0x16, 0, sit))
    write("fuzz_detector", "noise_short_timeouts", det_program(2, 0x20, 0, noise))
    write("fuzz_detector", "reset_between_calls",
          det_program(0, 0x00, 0, human + bytes([OP_RESET]) + machine + bytes([OP_FINISH, OP_RESET]) + fax))
    # NaN / Inf float chunks, then processing after finish (must be refused)
    write("fuzz_detector", "poison_float",
          det_program(0, 0x00, 1, bytes([OP_POISON]) + struct.pack("<H", 99) + b"\x05\x01" +
                      human + bytes([OP_POISON, 0, 1, 0, 2, OP_FINISH]) + gen(OP_BUZZ, 40, 0, -12, 200, 7)))
    raw = bytes([OP_RAW]) + struct.pack("<H", 2000) + bytes((i * 97) & 0xFF for i in range(4000))
    write("fuzz_detector", "raw_s16", det_program(0, 0x00, 0, raw + bytes([OP_FINISH])))
    write("fuzz_detector", "raw_float", det_program(1, 0x00, 1, raw))
    # config edits: field 0 (timeout) at its minimum, field 12 (beep_grace) at its maximum
    write("fuzz_detector", "config_edits", det_program(0, 0x01, 0, human, edits=b"\x02\x00\x00\x0c\x01"))
    write("fuzz_detector", "config_bad_rate", det_program(0xFF, 0, 0, b"\x00\x00\x01\x00"))
    # the same programs run twice with a reset between (format byte bit 2): must observe the same
    write("fuzz_detector", "replay_human_s16", det_program(0, 0x00, 0 | 4, cb + human + bytes([OP_FINISH])))
    write("fuzz_detector", "replay_machine_dme_ulaw", det_program(0, 0x01, 2 | 4, cb + machine))
    write("fuzz_detector", "replay_fax_model_16k", det_program(3, 0x96, 1 | 4, fax + sit))
    write("fuzz_detector", "replay_reset_between_calls",
          det_program(0, 0x00, 3 | 4, human + bytes([OP_RESET]) + dual + bytes([OP_FINISH])))


# ---- fuzz_form: control byte (bit 0 create, 1 update, 2 list, 3 validators) + body ----

def form_seeds():
    seeds = {
        "create_min": b"To=%2B15558675310&From=%2B15005550006&Url=https%3A%2F%2Fexample.com%2Fa",
        "create_amd": b"To=%2B15558675310&From=%2B15005550006&Url=http%3A%2F%2F127.0.0.1%3A9%2Fv"
                      b"&MachineDetection=DetectMessageEnd&MachineDetectionTimeout=3"
                      b"&MachineDetectionSpeechThreshold=2400&MachineDetectionSpeechEndThreshold=1200"
                      b"&MachineDetectionSilenceTimeout=5000&MachineDetectionEngine=Lumenvox"
                      b"&MachineDetectionMinWordLength=100&MachineDetectionMaxWordLength=5000"
                      b"&MachineDetectionWordsSilence=50&MachineDetectionMaxNumOfWords=5"
                      b"&MachineDetectionSilenceThreshold=256&AsyncAmd=true"
                      b"&AsyncAmdStatusCallback=https%3A%2F%2Fexample.com%2Famd",
        "create_twiml": b"To=sip%3Aalice%40example.com&From=client%3Abob"
                        b"&Twiml=%3CResponse%3E%3CSay%3Ehi%3C%2FSay%3E%3C%2FResponse%3E"
                        b"&StatusCallback=https%3A%2F%2Fcb.example.com%2Fs&StatusCallbackEvent=initiated+ringing"
                        b"&StatusCallbackEvent=answered&StatusCallbackEvent=completed&Record=True"
                        b"&RecordingChannels=dual&RecordingTrack=inbound&Trim=do-not-trim"
                        b"&RecordingStatusCallbackEvent=in-progress%2Ccompleted&Timeout=700&TimeLimit=60"
                        b"&SendDigits=1234w%23&IfMachine=Continue&Method=get&FallbackUrl=http%3A%2F%2Fx.org",
        "create_magic": b"To=%2B15005550001&From=%2B15005550006&Url=https%3A%2F%2Fe.com",
        "create_bad_range": b"To=%2B15558675310&From=%2B15005550006&Url=https%3A%2F%2Fe.com"
                            b"&MachineDetection=Enable&MachineDetectionTimeout=60",
        "update": b"Url=https%3A%2F%2Fexample.com%2Fnext&Method=POST&Status=completed&TimeLimit=30"
                  b"&StatusCallback=https%3A%2F%2Fe.com%2Fs&StatusCallbackMethod=GET",
        "list": b"To=%2B15558675310&Status=in-progress&StartTime%3E=2026-11-01&StartTime%3C=2026-11-29T03%3A04%3A05Z"
                b"&EndTime=2026-11-28&PageSize=20&Page=2&PageToken=PA000000000000001f",
        "bad_escape": b"To=%2&From=%zz",
        "nul_escape": b"To=%00",
        "many": b"&".join(b"k%d=v" % i for i in range(300)),
        "empty_pairs": b"&&=&a&=b&c=",
    }
    ctl = {"create": 0x09, "update": 0x0A, "list": 0x0C}
    for name, body in seeds.items():
        c = next((v for k, v in ctl.items() if name.startswith(k)), 0x0F)
        write("fuzz_form", name, bytes([c]) + body)
    write("fuzz_form", "limit_small", b"\x1f" + seeds["create_min"])


# ---- fuzz_twiml: documents as a webhook would answer ----

def twiml_seeds():
    docs = {
        "full": b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- greeting -->\n<Response>\n'
                b'  <Say voice="alice" loop="2">Hello &amp; welcome, caller &#35;1 &#x1F600;</Say>\n'
                b'  <Play loop="0">https://example.com/a.wav</Play>\n'
                b'  <Play digits="1w2W#"/>\n  <Pause length="3"/>\n'
                b'  <Gather><Say>press</Say><Pause/></Gather>\n'
                b'  <Dial>+15558675310</Dial>\n'
                b'  <Redirect method="GET">https://example.com/next?a=1&amp;b=2</Redirect>\n'
                b'  <Hangup/>\n</Response>\n',
        "reject": b"<Response><Reject reason='busy'/></Response>",
        "cdata": b"<Response><Say><![CDATA[a < b && c]]></Say></Response>",
        "bom_doctype": b"\xef\xbb\xbf<!DOCTYPE Response><Response/>",
        "empty": b"",
        "not_response": b"<Foo><Say>x</Say></Foo>",
        "bad_verb": b"<Response><Sing>x</Sing></Response>",
        "deep": b"<Response>" + b"<Gather>" * 20 + b"</Gather>" * 20 + b"</Response>",
        "unterminated": b"<Response><Say>hi",
        "bad_entity": b"<Response><Say>&bogus;</Say></Response>",
        "many_verbs": b"<Response>" + b"<Pause/>" * 1100 + b"</Response>",
        "dial_full": b'<Response><Dial action="/done" method="GET" timeout="12" timeLimit="60" '
                     b'callerId="+15550001111" record="record-from-answer-dual" hangupOnStar="true" '
                     b'answerOnBridge="true" ringTone="uk" recordingStatusCallback="/rec" '
                     b'recordingStatusCallbackEvent="in-progress completed">'
                     b'<Number sendDigits="1w2" url="/whisper" statusCallback="https://x.com/s" '
                     b'statusCallbackEvent="initiated ringing answered completed" machineDetection="Enable" '
                     b'machineDetectionTimeout="10" amdStatusCallback="https://x.com/amd"> +15551230001 </Number>'
                     b'<Sip username="u" password="p">sip:agent@10.0.0.1;transport=udp</Sip></Dial></Response>',
        "dial_bad_noun": b"<Response><Dial><Conference>room</Conference></Dial></Response>",
        "dial_too_many": b"<Response><Dial>" + b"<Number>+1555</Number>" * 11 + b"</Dial></Response>",
    }
    for name, doc in docs.items():
        write("fuzz_twiml", name, doc)


# ---- fuzz_rest: ctl byte, path NUL query NUL [auth NUL] body (see fuzz_rest.c) ----

def rest_seeds():
    GET, POST, DELETE = 0, 1, 2
    PREFIX = 0x20                      # path gets /2010-04-01/Accounts/{own SID}
    create = (b"To=%2B15558675310&From=%2B15005550006&Url=https%3A%2F%2Fexample.com%2Fa"
              b"&MachineDetection=Enable&StatusCallback=https%3A%2F%2Fcb.example.com%2Fs")
    reqs = {
        "create": (POST | PREFIX, b"/Calls.json", b"", create),
        "create_as_account": (POST | PREFIX | 0x08, b"/Calls.json", b"", create),
        "create_bad": (POST | PREFIX, b"/Calls.json", b"", b"To=%zz"),
        "fetch_last": (GET | PREFIX, b"/Calls/@@.json", b"", b""),
        "update_last": (POST | PREFIX, b"/Calls/@@.json", b"", b"Status=canceled"),
        "delete_last": (DELETE | PREFIX, b"/Calls/@@.json", b"", b""),
        "events_last": (GET | PREFIX, b"/Calls/@@/Events.json", b"", b""),
        "recordings_last": (GET | PREFIX, b"/Calls/@@/Recordings.json", b"", b""),
        "list": (GET | PREFIX, b"/Calls.json", b"PageSize=2&Status=queued&StartTime%3E=2020-01-01", b""),
        "list_token": (GET | PREFIX, b"/Calls.json", b"PageToken=PA0000000000000002&Page=1", b""),
        "csv": (GET | PREFIX, b"/Calls.csv", b"To=%2B15558675310", b""),
        "recordings": (GET | PREFIX, b"/Recordings.json", b"", b""),
        "recording_media": (GET | PREFIX, b"/Recordings/RE00000000000000000000000000000000.wav", b"", b""),
        "other_account": (GET | PREFIX | 0x18, b"/Calls.json", b"", b""),
        "method_put": (3 | PREFIX, b"/Calls.json", b"", b""),
        "no_prefix": (GET, b"/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json", b"", b""),
    }
    for name, (ctl, path, query, body) in reqs.items():
        write("fuzz_rest", name, bytes([ctl]) + path + b"\0" + query + b"\0" + body)
    # Authorization headers from the input (credential mode 2)
    for name, auth in {"auth_garbage": b"Basic !!!!", "auth_bearer": b"Bearer x",
                       "auth_nocolon": b"Basic YWJj", "auth_long": b"Basic " + b"QUFB" * 100}.items():
        write("fuzz_rest", name, bytes([GET | PREFIX | 0x10]) + b"/Calls.json\0\0" + auth + b"\0")


# ---- fuzz_manifest: manifest CSV [NUL segments/a.wav.csv] (see fuzz_manifest.c) ----

def manifest_seeds():
    head = (b"file,answered_by_enable,answered_by_detect_end,label,speech_onset_ms,greeting_end_ms,"
            b"beep_start_ms,beep_end_ms,scenario,split\r\n")
    rows = (b'a.wav,machine_start,machine_end_beep,machine,430,5200,5300,5800,"beep, single",test\r\n'
            b"sub/b.wav,human,human,human,300,,,,short,dev\n"
            b'"c ""quoted"".wav",unknown,unknown,unknown,,,,,silence,test\n\n')
    segs = b"start_ms,end_ms\n430,1200\n1500.5,5200\n"
    write("fuzz_manifest", "full", head + rows + b"\0" + segs)
    write("fuzz_manifest", "minimal", b"file\na.wav\n")
    write("fuzz_manifest", "bad_label", b"file,answered_by_enable\na.wav,robot\n")
    write("fuzz_manifest", "bad_time", b"file,beep_end_ms\na.wav,-3\n")
    write("fuzz_manifest", "unterminated_quote", b'file,label\n"a.wav,human\n')
    write("fuzz_manifest", "bad_segments", b"file\na.wav\n\0start_ms,end_ms\n5,3\n")
    write("fuzz_manifest", "no_file_column", b"path,label\nx,y\n")


# ---- fuzz_net_policy: flags, a 16-byte address, a --webhook-allow list ----

def net_policy_seeds():
    import ipaddress
    cases = [
        ("v4_loopback_default", 0, "127.0.0.1", ""),
        ("v4_allowed_loopback", 2, "127.0.0.1", "127.0.0.0/8"),
        ("v4_metadata", 2, "169.254.169.254", "10.0.0.0/8, 192.168.0.0/16"),
        ("v6_loopback", 3, "::1", "::1/128,fc00::/7"),
        ("v6_mapped", 3, "::ffff:10.1.2.3", "::ffff:10.0.0.0/104"),
        ("v6_nat64", 1, "64:ff9b::a9fe:a9fe", ""),
        ("v4_public_short", 4, "8.8.8.8", ""),
        ("bad_list", 2, "1.2.3.4", "10.0.0.0/33,,x"),
    ]
    for name, flags, addr, lst in cases:
        ip = ipaddress.ip_address(addr)
        raw = ip.packed if ip.version == 6 else ip.packed + bytes(12)
        write("fuzz_net_policy", name, bytes([flags]) + raw + lst.encode())


if __name__ == "__main__":
    model_seeds()
    detector_seeds()
    audio_seeds()
    form_seeds()
    twiml_seeds()
    rest_seeds()
    manifest_seeds()
    net_policy_seeds()
