"""A small web service that calls a compiled C helper.

GET /                 -> what this is and which helper it uses
GET /checksum?text=…  -> CRC-32 of the text, computed by the C helper (checksum)
"""

import os
import shutil
import subprocess

from flask import Flask, jsonify, request

HELPER = os.environ.get("CHECKSUM_HELPER", "checksum")
MAX_TEXT = 64 * 1024

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(
        service="python-service",
        helper=shutil.which(HELPER) or HELPER,
        endpoints=["/", "/checksum?text=..."],
    )


@app.get("/checksum")
def checksum():
    text = request.args.get("text")
    if text is None:
        return jsonify(error="missing query parameter: text"), 400
    data = text.encode("utf-8")
    if len(data) > MAX_TEXT:
        return jsonify(error=f"text longer than {MAX_TEXT} bytes"), 413
    try:
        done = subprocess.run(
            [HELPER], input=data, capture_output=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError) as err:
        app.logger.error("checksum helper failed: %s", err)
        return jsonify(error="checksum helper failed"), 500
    return jsonify(text=text, bytes=len(data), crc32=done.stdout.decode().strip())


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
