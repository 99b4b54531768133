# nats-server, compiled from the version pinned in go.mod (see integration/images).
# FROM scratch: no shell, so wait on the "Server is ready" log line or on
# http://<host>:8222/healthz, never on a command inside the container.
FROM scratch
COPY nats-server /nats-server
COPY nats-server.conf /nats-server.conf
EXPOSE 4222 6222 8222
ENTRYPOINT ["/nats-server"]
CMD ["--config", "/nats-server.conf"]
