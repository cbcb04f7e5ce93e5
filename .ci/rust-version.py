"""Checks the workspace's declared rust-version against what it builds with.

- every package of the workspace declares the workspace's rust-version;
- no resolved dependency declares a newer one (it would not build there);
- the toolchain CI runs is at least that version (cargo enforces it too).
Std APIs newer than the declared version are caught by clippy's
`incompatible_msrv` lint, which reads the same field.
"""
import json
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split(".")[:3]) + (0,) * (3 - len(text.split(".")[:3]))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
)
members = set(metadata["workspace_members"])
declared = {p["rust_version"] for p in metadata["packages"] if p["id"] in members}
problems = []
if len(declared) != 1 or None in declared:
    problems.append(f"workspace members declare rust-version {sorted(map(str, declared))}; use rust-version.workspace = true")
msrv = version(sorted(d for d in declared if d)[0]) if any(declared) else (0, 0, 0)
for package in metadata["packages"]:
    needs = package.get("rust_version")
    if package["id"] not in members and needs and version(needs) > msrv:
        problems.append(f"{package['name']} {package['version']} needs Rust {needs}, newer than the declared {'.'.join(map(str, msrv))}: pin an older version or raise rust-version")
rustc = subprocess.run(["rustc", "--version"], check=True, capture_output=True, text=True).stdout.split()[1]
if version(rustc.split("-")[0]) < msrv:
    problems.append(f"rustc {rustc} is older than the declared rust-version")
for problem in problems:
    print(f"rust-version: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"rust-version {'.'.join(map(str, msrv))}: every dependency builds with it; rustc {rustc}")
