#!/usr/bin/env bash
# Create (or update) the RabbitMQ user of one lab: it may only publish to the lab exchange, and
# only with its own routing key `lab.<CODE>.status`; it can read nothing and declare nothing.
# Usage: scripts/rabbitmq-lab-user.sh <LAB_CODE> <password> [exchange] [vhost]
set -euo pipefail
code=${1:?lab code}
password=${2:?password}
exchange=${3:-etapa.lab}
vhost=${4:-/}
user="lab_${code}"
exchange_re="^$(printf '%s' "$exchange" | sed 's/\./\\./g')\$"
if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$user"; then
  rabbitmqctl -q change_password "$user" "$password"
else
  rabbitmqctl -q add_user "$user" "$password"
fi
rabbitmqctl -q set_permissions -p "$vhost" "$user" '^$' "$exchange_re" '^$'
rabbitmqctl -q set_topic_permissions -p "$vhost" "$user" "$exchange" "^lab\\.${code}\\.status\$" '^$'
echo "RabbitMQ user $user may publish to $exchange with routing key lab.${code}.status only"
