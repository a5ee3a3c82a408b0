# One image for every gsa service: `docker compose up` runs each with its own `gsa` subcommand.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p gsa

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data gsa
COPY --from=build /src/target/release/gsa /usr/local/bin/gsa
COPY testdata/bizbuysell /usr/share/gsa/testdata/bizbuysell
USER gsa
WORKDIR /data
ENTRYPOINT ["gsa"]
