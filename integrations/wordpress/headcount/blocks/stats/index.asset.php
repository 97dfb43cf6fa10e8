<?php
/**
 * Script dependencies of the block's editor script (written by hand: the script needs no build step).
 *
 * @package Headcount
 */

return array(
	'dependencies' => array( 'wp-blocks', 'wp-block-editor', 'wp-element', 'wp-i18n' ),
	'version'      => '0.1.0',
);
