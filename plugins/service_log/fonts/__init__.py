"""The certificate font (a subset of Noto Sans CJK SC, SIL Open Font License 1.1) and how it is built."""
