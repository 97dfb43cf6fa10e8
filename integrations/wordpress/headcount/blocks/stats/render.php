<?php
/**
 * Server rendering of the headcount/stats block: the empty element t.js fills on the page.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;
?>
<div <?php echo get_block_wrapper_attributes( Headcount_Markup::stats_attributes() ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by get_block_wrapper_attributes(). ?>></div>
