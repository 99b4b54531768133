# shipping (cmd/shipping), a static binary FROM scratch.
FROM scratch
COPY shipping /shipping
ENTRYPOINT ["/shipping"]
