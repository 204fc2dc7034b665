"""A one-line page (tests): the server's own settings are what is tested, not the page."""

import streamlit as st

st.write("hello from the page")
