<?php
/**
 * Reads Headcount's live API (GET /api/sites/SITE/live) from the server, cached for a few seconds.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * The pages being read now, or why they are not available.
 */
final class Headcount_Live {

	public const TRANSIENT = 'headcount_live';
	/** Editors reload often; Headcount caches the answer for about a second itself. */
	public const CACHE_S = 5;
	/** The most pages the live API gives. */
	public const LIMIT = 100;
	private const TIMEOUT_S = 2;

	/**
	 * This request's answer, so a Posts list asks the transient once, not once per row.
	 *
	 * @var array{ok: bool, pages: array<int, array{url: string, title: string, readers: int}>, online: ?int, reason: string}|null
	 */
	private static ?array $memo = null;

	/**
	 * The live view: `ok` false with a `reason` when it cannot be read (not configured, HTTP error, no answer).
	 *
	 * @return array{ok: bool, pages: array<int, array{url: string, title: string, readers: int}>, online: ?int, reason: string}
	 */
	public static function read(): array {
		if ( null !== self::$memo ) {
			return self::$memo;
		}
		$cached = get_transient( self::TRANSIENT );
		if ( is_array( $cached ) && isset( $cached['ok'], $cached['pages'], $cached['reason'] ) ) {
			self::$memo = $cached;
			return $cached;
		}
		self::$memo = self::fetch();
		// Failures are cached too: a Headcount that is down must not slow every admin page.
		set_transient( self::TRANSIENT, self::$memo, self::CACHE_S );
		return self::$memo;
	}

	/**
	 * Forgets the cached answer (after the settings change).
	 */
	public static function forget(): void {
		self::$memo = null;
		delete_transient( self::TRANSIENT );
	}

	/**
	 * The request itself.
	 *
	 * @return array{ok: bool, pages: array<int, array{url: string, title: string, readers: int}>, online: ?int, reason: string}
	 */
	private static function fetch(): array {
		$options = Headcount_Options::all();
		if ( ! Headcount_Options::configured() ) {
			return self::failure( __( 'Headcount is not configured yet.', 'headcount' ) );
		}
		$url     = sprintf( '%s/api/sites/%s/live?limit=%d', untrailingslashit( $options['address'] ), rawurlencode( $options['site'] ), self::LIMIT );
		$headers = array( 'Accept' => 'application/json' );
		if ( '' !== $options['read_token'] ) {
			$headers['Authorization'] = 'Bearer ' . $options['read_token'];
		}
		$response = wp_remote_get( $url, array( 'timeout' => self::TIMEOUT_S, 'headers' => $headers ) );
		if ( is_wp_error( $response ) ) {
			return self::failure( __( 'the Headcount server did not answer.', 'headcount' ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( 404 === $status ) {
			return self::failure( __( 'the live API answered 404: the site id is wrong, the read token is missing or wrong, or this Headcount is older than its live API.', 'headcount' ) );
		}
		if ( 200 !== $status ) {
			/* translators: %d: HTTP status code */
			return self::failure( sprintf( __( 'the live API answered HTTP %d.', 'headcount' ), $status ) );
		}
		$body = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $body ) || ! isset( $body['pages'] ) || ! is_array( $body['pages'] ) ) {
			return self::failure( __( 'the live API answered something unexpected.', 'headcount' ) );
		}
		return array(
			'ok'     => true,
			'pages'  => self::pages( $body['pages'] ),
			'online' => isset( $body['online']['total'] ) && is_int( $body['online']['total'] ) ? $body['online']['total'] : null,
			'reason' => '',
		);
	}

	/**
	 * The well-formed entries of the API's `pages` list.
	 *
	 * @param array $raw The decoded list.
	 * @return array<int, array{url: string, title: string, readers: int}>
	 */
	private static function pages( array $raw ): array {
		$pages = array();
		foreach ( $raw as $page ) {
			if ( ! is_array( $page ) || ! isset( $page['url'], $page['readers'] ) || ! is_string( $page['url'] ) || ! is_int( $page['readers'] ) ) {
				continue;
			}
			$pages[] = array(
				'url'     => $page['url'],
				'title'   => isset( $page['title'] ) && is_string( $page['title'] ) ? $page['title'] : '',
				'readers' => $page['readers'],
			);
		}
		return $pages;
	}

	/**
	 * An unavailable answer.
	 *
	 * @param string $reason Why, for the editor.
	 * @return array{ok: bool, pages: array, online: null, reason: string}
	 */
	private static function failure( string $reason ): array {
		return array( 'ok' => false, 'pages' => array(), 'online' => null, 'reason' => $reason );
	}

	/**
	 * A URL as Headcount normalises page URLs: scheme and host lower case, no fragment.
	 *
	 * @param string $url A permalink or a URL from the API.
	 */
	public static function normalise_url( string $url ): string {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || ! isset( $parts['scheme'], $parts['host'] ) ) {
			return $url;
		}
		$normal = strtolower( $parts['scheme'] ) . '://' . strtolower( $parts['host'] );
		if ( isset( $parts['port'] ) ) {
			$normal .= ':' . $parts['port'];
		}
		$normal .= $parts['path'] ?? '/';
		if ( isset( $parts['query'] ) && '' !== $parts['query'] ) {
			$normal .= '?' . $parts['query'];
		}
		return $normal;
	}

	/**
	 * Readers of one URL now: a number, 0 when the API lists every page read now and this one is not
	 * among them, or null when unknown (API unavailable, or the page may be beyond the top LIMIT).
	 *
	 * @param string $url The post's permalink.
	 */
	public static function readers_of( string $url ): ?int {
		$live = self::read();
		if ( ! $live['ok'] ) {
			return null;
		}
		$wanted = self::normalise_url( $url );
		foreach ( $live['pages'] as $page ) {
			if ( self::normalise_url( $page['url'] ) === $wanted ) {
				return $page['readers'];
			}
		}
		return count( $live['pages'] ) < self::LIMIT ? 0 : null;
	}
}
