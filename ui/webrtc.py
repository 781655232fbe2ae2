"""WebRTC settings for the Live page: ICE servers from Streamlit secrets or the environment."""
from __future__ import annotations

import json
import os

import streamlit as st


def rtc_configuration() -> dict | None:
    """``ice_servers`` from secrets, else ``FER_ICE_SERVERS`` (JSON), else None.

    None lets streamlit-webrtc choose: TURN credentials from TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN (or
    Cloudflare's or Hugging Face's variables) when set, else a public STUN server. Community Cloud needs TURN.
    ``FER_ICE_TRANSPORT_POLICY=relay`` sends all video through TURN, to check a TURN setup.
    """
    try:
        servers = st.secrets.get("ice_servers")
    except FileNotFoundError:  # no secrets.toml at all
        servers = None
    if servers is None and os.environ.get("FER_ICE_SERVERS"):
        servers = json.loads(os.environ["FER_ICE_SERVERS"])
    policy = os.environ.get("FER_ICE_TRANSPORT_POLICY")
    if servers is None and policy is None:
        return None
    config = {} if servers is None else {"iceServers": [dict(s) for s in servers]}
    if policy:
        config["iceTransportPolicy"] = policy
    return config
