# nchan (nginx's pub/sub module) as the peer of the efficiency comparisons; sourced, not run. The
# caller defines fail(). Needs root for apt-get the first time.

NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so

install_nchan() {
  if ! dpkg -s nginx libnginx-mod-nchan >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-nchan >/dev/null
  fi
  [ -f "$NCHAN_MODULE" ] || fail "$NCHAN_MODULE not found after installing libnginx-mod-nchan"
}

# nchan_conf DIR PORT: nginx.conf in DIR for nchan on 127.0.0.1:PORT. Like pushgate, which runs one
# event loop per core, nginx gets one worker per core. Subscribers only receive; publishers post one
# message per item to the same channel id ("room").
nchan_conf() {
  local dir=$1 port=$2
  cat >"$dir/nginx.conf" <<CONF
load_module $NCHAN_MODULE;
worker_processes auto;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  # The publisher pipelines its requests over one connection; nginx's default of closing it after
  # 1,000 requests would fail the ones in flight and reorder their retries.
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port;
    location ~ ^/sub/(\w+)\$ {
      nchan_subscriber websocket;
      nchan_channel_id \$1;
    }
    location ~ ^/pub/(\w+)\$ {
      nchan_publisher http;
      nchan_channel_id \$1;
      nchan_message_buffer_length 1000;
      nchan_message_timeout 60s;
    }
  }
}
CONF
}

# start_nchan DIR PORT: writes the configuration and starts nginx; sets NGINX_PID (the master) and
# NGINX_PIDS (master and workers, comma-separated, for --server-pid).
start_nchan() {
  local dir=$1 port=$2
  nchan_conf "$dir" "$port"
  nginx -c "$dir/nginx.conf" -p "$dir" || fail "nginx did not start (see $dir/nginx-error.log)"
  for _ in $(seq 1 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
  NGINX_PID=$(cat "$dir/nginx.pid")
  sleep 0.5
  # shellcheck disable=SC2046
  NGINX_PIDS=$(echo "$NGINX_PID" $(pgrep -P "$NGINX_PID") | tr ' ' ',')
}

# stop_nchan: SIGQUIT (graceful), SIGKILL after 5 s.
stop_nchan() {
  if [ -n "${NGINX_PID:-}" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
    local pids=${NGINX_PIDS:-}
    # shellcheck disable=SC2086
    kill -KILL ${pids//,/ } 2>/dev/null || true   # the workers too, should the master have gone first
  fi
  NGINX_PID=
}
