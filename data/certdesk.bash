# bash completion for certdesk: commands, their options, user names, settings.
# Installed as share/bash-completion/completions/certdesk.

# The program being completed (./certdesk too), else certdesk from PATH.
_certdesk_bin()
{
	local bin=${words[0]/#\~/$HOME}
	[[ $bin == */* && -x $bin ]] && printf '%s\n' "$bin" || printf 'certdesk\n'
}

_certdesk_users()
{
	local home=() i
	# The --home given on the line, else certdesk's own default ($CERTDESK_HOME, ~).
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--home) home=(--home "${words[i + 1]/#\~/$HOME}") ;;
		--home=*) home=(--home "${words[i]#--home=}") ;;
		esac
	done
	home[1]=${home[1]/#\~/$HOME}
	[[ ${#home[@]} == 1 ]] && home=()
	"$(_certdesk_bin)" "${home[@]}" --read-only --format tsv list --all 2>/dev/null |
		tail -n +2 | cut -f1
}

# words/cword: COMP_WORDS with "--opt" "=" "value" (bash splits at '=') joined again.
_certdesk_words()
{
	local i w glue=0
	words=()
	cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == = && ${#words[@]} -gt 0 && ${words[-1]} == --* ]]; then
			words[-1]+==
			glue=1
		elif ((glue)); then
			words[-1]+=$w
			glue=0
		else
			words+=("$w")
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && words+=("") && cword=$((${#words[@]} - 1))
}

_certdesk()
{
	local cur prev cmd i npos words cword
	local commands="init create renew revoke notify task applied seen publish crl list
		show expirecheck metrics config log import ca backup restore verify probe"
	local globals="--home --as-of --format --read-only --no-color --expirecheck --help
		--version"
	local fields="--name --email --phone --location --org --ou --country --days --key
		--p12 --out --csr"
	local settings="window.days cert.days cert.key p12.profile out.dir default.org
		default.ou default.location default.country phab.url phab.form phab.projects
		phab.subscribers crl.days crl.refresh_days ca.warn_days crl.remote crl.branch crl.path crl.bundle_path
		audit.syslog seen.field notify.overdue_days apply.overdue_days probe.targets
		probe.enabled probe.canary_days probe.grace_hours probe.limit_hours probe.timeout"

	COMPREPLY=()
	_certdesk_words
	cur=${words[cword]}
	prev=${words[cword - 1]}
	# --home=DIR: bash replaces only what follows the '=' when it splits there.
	if [[ $cur == --home=* || $cur == --out=* ]]; then
		COMPREPLY=($(compgen -d -- "${cur#*=}"))
		[[ $COMP_WORDBREAKS != *=* ]] && COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		return
	fi

	case $prev in
	--home | --out | --passphrase-file | --config | --csr | --pkcs11-module)
		COMPREPLY=($(compgen -d -- "$cur"))
		[[ $prev == --passphrase-file || $prev == --config || $prev == --csr ||
			$prev == --pkcs11-module ]] &&
			COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--format) COMPREPLY=($(compgen -W "text tsv json nagios" -- "$cur")); return ;;
	--key) COMPREPLY=($(compgen -W "ec rsa" -- "$cur")); return ;;
	--p12) COMPREPLY=($(compgen -W "compat modern" -- "$cur")); return ;;
	--reason)
		COMPREPLY=($(compgen -W "unspecified keyCompromise affiliationChanged superseded
			cessationOfOperation" -- "$cur"))
		return ;;
	--as-of | --cn | --days | --name | --email | --phone | --location | --org | --ou | \
	--country | --task | --crl-remote | --pkcs11 | --timeout)
		return ;;
	esac

	# The command: the first word that is neither an option nor an option's value; npos
	# counts the words after it that are neither.
	cmd=
	npos=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--home | --as-of | --format | --out | --passphrase-file | --config | --reason | \
		--cn | --days | --name | --email | --phone | --location | --org | --ou | \
		--country | --task | --crl-remote | --key | --p12 | --csr | --pkcs11 | \
		--pkcs11-module | --timeout) ((i++)) ;;
		-*) ;;
		*) [[ -z $cmd ]] && cmd=${words[i]} || ((npos++)) ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		local opts=
		case $cmd in
		init) opts="--cn --key --days --passphrase-file --crl-remote --pkcs11 --pkcs11-module" ;;
		create | renew) opts=$fields ;;
		revoke) opts="--reason --now" ;;
		notify) opts="--task --due" ;;
		publish) opts="--dry-run" ;;
		crl) opts="--out" ;;
		list) opts="--all" ;;
		expirecheck) opts="--days --cron" ;;
		metrics) opts="--out" ;;
		log) opts="--verify" ;;
		import) opts="--config --apply" ;;
		ca) opts="--days --cn --key --passphrase-file --pkcs11-module" ;;
		backup) opts="--passphrase-file --check" ;;
		restore) opts="--passphrase-file" ;;
		probe) opts="--timeout" ;;
		esac
		COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
		return
	fi

	case $cmd in
	renew | revoke | notify | task | applied | show | log)
		((npos == 0)) &&
			COMPREPLY=($(compgen -W "$(_certdesk_users)" -- "$cur")) ;;
	config)
		((npos == 0)) && COMPREPLY=($(compgen -W "$settings" -- "$cur")) ;;
	import)
		if ((npos == 0)); then
			COMPREPLY=($(compgen -W "openssl-ca easyrsa" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi ;;
	seen | backup | restore) COMPREPLY=($(compgen -f -- "$cur")) ;;
	ca)
		if ((npos == 0)); then
			COMPREPLY=($(compgen -W "renew rollover move-to-token" -- "$cur"))
		elif ((npos == 1)) && [[ ${words[cword - 1]} == move-to-token ]]; then
			COMPREPLY=($(compgen -W "pkcs11:token=" -- "$cur"))
		fi ;;
	esac
}

complete -F _certdesk certdesk
