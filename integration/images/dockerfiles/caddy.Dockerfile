# Caddy (integration/images/caddy: Caddy's standard modules at the version its
# go.mod pins), a static binary FROM scratch, as the load balancer in front of
# several bridges. The Caddyfile proxies :8080 to $HOOKBRIDGE_UPSTREAMS; mount
# another over /etc/caddy/Caddyfile to change it.
FROM scratch
COPY caddy /caddy
COPY Caddyfile /etc/caddy/Caddyfile
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
EXPOSE 8080
ENTRYPOINT ["/caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
