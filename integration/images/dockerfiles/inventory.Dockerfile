# inventory (cmd/inventory), a static binary FROM scratch.
FROM scratch
COPY inventory /inventory
ENTRYPOINT ["/inventory"]
