"""The report's collectors for the running appliance: mood flip to audible track, MQTT delivery and
broker outages, and the service's cold start, CPU and memory."""

from __future__ import annotations

import math

from report_harness import Figures, find_line, met, py, run_command


def mood_to_track(quick: bool) -> Figures:
    args = ["--flips", "2", "--hold", "6", "--tracks", "300"] if quick else []
    text = run_command(py("bench_latency.py", *args), 900)
    m = find_line(r"^decision -> audible: median\s+([\d.]+) ms, p95\s+([\d.]+) ms", text)
    med, p95 = float(m[1]), float(m[2])
    f = find_line(r"^face -> audible:\s+median\s+([\d.]+) ms, p95\s+([\d.]+) ms", text)
    return {
        "mood flip -> new track audible, median": (
            f"{med:.0f} ms (p95 {p95:.0f})",
            "<= 1000 ms",
            "-",
            met(p95 <= 1000.0),
        ),
        "face change -> new track audible, median": (
            f"{float(f[1]):.0f} ms (p95 {float(f[2]):.0f})",
            "-",
            "includes the filter's dwell",
            "info",
        ),
    }


def mqtt(quick: bool) -> Figures:
    args = ["--flips", "40", "--outage-s", "2", "--service-flips", "6"] if quick else []
    text = run_command(py("bench_mqtt.py", *args), 900)
    m = find_line(r"^\s+mood_changed\s+delivered (\d+)/(\d+): median ([\d.]+) ms, p95 ([\d.]+) ms", text)
    s = find_line(
        r"flip inside the service -> subscriber, (\d+)/(\d+): median ([\d.]+) ms, p95 ([\d.]+) ms", text
    )
    o = find_line(r"state topics equal to the appliance: (\d+)/(\d+)", text)
    p = find_line(r"longest EventBus.publish: ([\d.]+) ms", text)
    return {
        "MQTT mood event -> subscriber, p95": (
            f"{float(m[4]):.2f} ms (median {float(m[3]):.2f}; {m[1]}/{m[2]} delivered)",
            "<= 50 ms",
            "-",
            met(float(m[4]) <= 50.0 and m[1] == m[2]),
        ),
        "MQTT flip in the real service -> subscriber, p95": (
            f"{float(s[4]):.2f} ms (median {float(s[3]):.2f}; {s[1]}/{s[2]})",
            "<= 50 ms",
            "-",
            met(float(s[4]) <= 50.0 and s[1] == s[2]),
        ),
        "MQTT broker outage: state kept, longest publish": (
            f"{o[1]}/{o[2]} topics; {float(p[1]):.2f} ms",
            "no lost state",
            "-",
            met(o[1] == o[2]),
        ),
    }


def service(quick: bool) -> Figures:
    args = ["--seconds", "5", "--warmup", "4", "--tracks", "500"] if quick else []
    text = run_command(py("bench_service.py", *args), 900)
    cold = float(find_line(r"cold start -> first classification:\s+([\d.]+|nan) s", text)[1])
    cpu = float(find_line(r"steady CPU, % of one core:\s+([\d.]+) %", text)[1])
    rss = float(find_line(r"resident memory \(peak\):\s+([\d.]+) MB", text)[1])
    tracks = find_line(r"^library: (\d+) tracks", text)[1]
    return {
        "service cold start -> first classification": (
            f"{cold:.2f} s" if math.isfinite(cold) else "none during the run",
            "<= 5 s",
            "-",
            met(cold <= 5.0),
        ),
        "service CPU, % of one core (1 s interval)": (
            f"{cpu:.2f} % ({tracks} tracks)",
            "<= 5 %",
            "-",
            met(cpu <= 5.0),
        ),
        "service resident memory, peak": (f"{rss:.0f} MB", "<= 250 MB", "-", met(rss <= 250.0)),
    }
