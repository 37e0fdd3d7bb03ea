#!/usr/bin/env bash
# Create (or update) the RabbitMQ user of one lab: it may only publish to the lab exchange, and
# only with its own routing key `lab.<CODE>.status`; it can read nothing and declare nothing.
# Usage: scripts/rabbitmq-lab-user.sh <LAB_CODE> <password> [exchange] [vhost]
#
# One user per lab *per installation*: with ETAPA_TOPOLOGY_PREFIX set (several installs on one
# broker), the user is `<prefix>lab_<CODE>` and the exchange `<prefix>etapa.lab`, the prefix
# given a `.` when it ends in no separator, as the services do (`walk` → `walk.lab_LABDEMO`).
set -euo pipefail
code=${1:?lab code}
password=${2:?password}
prefix=${ETAPA_TOPOLOGY_PREFIX:-}
case "$prefix" in
  ""|*.|*-|*_) ;;
  *) prefix="$prefix." ;;
esac
exchange=${3:-${prefix}etapa.lab}
vhost=${4:-/}
user="${prefix}lab_${code}"
exchange_re="^$(printf '%s' "$exchange" | sed 's/[.]/\\./g')\$"
if rabbitmqctl -q list_users | awk '{print $1}' | grep -qxF "$user"; then
  rabbitmqctl -q change_password "$user" "$password"
else
  rabbitmqctl -q add_user "$user" "$password"
fi
rabbitmqctl -q set_permissions -p "$vhost" "$user" '^$' "$exchange_re" '^$'
rabbitmqctl -q set_topic_permissions -p "$vhost" "$user" "$exchange" "^lab\\.${code}\\.status\$" '^$'
echo "RabbitMQ user $user may publish to $exchange with routing key lab.${code}.status only"
